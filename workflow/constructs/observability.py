"""OrderObservability: one dashboard for the whole pipeline, and the alarms that tell operations."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from workflow import config

PERIOD = Duration.minutes(1)
# A queued order older than this means the starter is not keeping up, or keeps failing.
OLDEST_MESSAGE_ALARM_SECONDS = 300
WIDE = 12
NARROW = 8
# The writes the workflow makes: SaveOrder and RecordFailure.
TABLE_WRITES = [dynamodb.Operation.PUT_ITEM, dynamodb.Operation.UPDATE_ITEM]


def business_metric(name: str, service: str) -> cloudwatch.Metric:
    """A count the functions emit with Powertools Metrics (EMF): dimension `service` is Powertools' default."""
    return cloudwatch.Metric(
        namespace=config.METRICS_NAMESPACE,
        metric_name=name,
        dimensions_map={"service": service},
        statistic="Sum",
        period=PERIOD,
    )


def graph(title: str, metrics: Sequence[cloudwatch.IMetric], width: int = NARROW) -> cloudwatch.GraphWidget:
    return cloudwatch.GraphWidget(title=title, left=list(metrics), width=width, height=6)


class OrderObservability(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        queue: sqs.IQueue,
        dead_letter_queue: sqs.IQueue,
        functions: dict[str, lambda_.IFunction],
        state_machine: sfn.StateMachine,
        table: dynamodb.ITable,
        topics: dict[str, sns.ITopic],
        operations_topic: sns.ITopic,
    ) -> None:
        super().__init__(scope, construct_id)
        self._action = actions.SnsAction(operations_topic)
        self.alarms: list[cloudwatch.Alarm] = []

        self._alarm(
            "DeadLetters",
            dead_letter_queue.metric_approximate_number_of_messages_visible(period=PERIOD, statistic="Maximum"),
            "Messages the starter could not start are in the dead-letter queue: inspect them, then send them back.",
        )
        self._alarm(
            "OldestOrderAge",
            queue.metric_approximate_age_of_oldest_message(period=PERIOD, statistic="Maximum"),
            f"An order has waited in the queue for more than {OLDEST_MESSAGE_ALARM_SECONDS} s.",
            threshold=OLDEST_MESSAGE_ALARM_SECONDS,
        )
        self._alarm(
            "ExecutionsFailed",
            state_machine.metric_failed(period=PERIOD),
            "An order execution failed after all retries: its record says FAILED; see the execution's history.",
        )
        self._alarm(
            "ExecutionsTimedOut",
            state_machine.metric_timed_out(period=PERIOD),
            "An order execution timed out.",
        )
        self._alarm(
            "ExecutionsThrottled",
            state_machine.metric_throttled(period=PERIOD),
            "Step Functions throttled order executions.",
        )
        for name, function in functions.items():
            self._alarm(
                f"{name}Errors",
                function.metric_errors(period=PERIOD),
                f"The {name} function raised errors.",
            )
        # The topic's policy (written for TLS-only) replaces SNS's default policy, so CloudWatch may publish
        # only if the policy says so: for this account's alarms, and only these (aws:SourceAccount and
        # aws:SourceArn against the confused deputy). Each alarm by its own ARN: the alarms keep generated names,
        # which CloudFormation may replace at will. "Example cases for Amazon SNS access control":
        # https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html and re:Post, "Why didn't I
        # receive an SNS notification for my CloudWatch alarm trigger?":
        # https://repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger
        operations_topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowThisStacksAlarmsToPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[operations_topic.topic_arn],
                conditions={
                    "StringEquals": {"aws:SourceAccount": Stack.of(self).account},
                    "ArnLike": {"aws:SourceArn": [alarm.alarm_arn for alarm in self.alarms]},
                },
            )
        )

        self.dashboard = cloudwatch.Dashboard(self, "Dashboard", default_interval=Duration.hours(3))
        self.dashboard.add_widgets(
            cloudwatch.AlarmStatusWidget(title="Alarms", alarms=list(self.alarms), width=24, height=4)
        )
        self.dashboard.add_widgets(
            graph(
                "Order queue: depth",
                [
                    queue.metric_approximate_number_of_messages_visible(period=PERIOD, label="Waiting"),
                    queue.metric_approximate_number_of_messages_not_visible(period=PERIOD, label="In flight"),
                    queue.metric_number_of_messages_sent(period=PERIOD, label="Sent"),
                ],
            ),
            graph(
                "Order queue: age of oldest message (s)",
                [queue.metric_approximate_age_of_oldest_message(period=PERIOD, statistic="Maximum")],
            ),
            graph(
                "Dead-letter queue: depth",
                [dead_letter_queue.metric_approximate_number_of_messages_visible(period=PERIOD, statistic="Maximum")],
            ),
        )
        self.dashboard.add_widgets(
            *(
                graph(
                    f"{name}: invocations, errors, throttles",
                    [
                        function.metric_invocations(period=PERIOD),
                        function.metric_errors(period=PERIOD),
                        function.metric_throttles(period=PERIOD),
                    ],
                    width=WIDE // 2,
                )
                for name, function in functions.items()
            ),
            *(
                graph(
                    f"{name}: duration (ms)",
                    [
                        function.metric_duration(period=PERIOD, statistic="p50", label="p50"),
                        function.metric_duration(period=PERIOD, statistic="p99", label="p99"),
                    ],
                    width=WIDE // 2,
                )
                for name, function in functions.items()
            ),
        )
        self.dashboard.add_widgets(
            graph(
                "Executions",
                [
                    state_machine.metric_started(period=PERIOD, label="Started"),
                    state_machine.metric_succeeded(period=PERIOD, label="Succeeded"),
                    state_machine.metric_failed(period=PERIOD, label="Failed"),
                    state_machine.metric_timed_out(period=PERIOD, label="Timed out"),
                    state_machine.metric_throttled(period=PERIOD, label="Throttled"),
                    state_machine.metric_aborted(period=PERIOD, label="Aborted"),
                ],
                width=WIDE,
            ),
            graph(
                "Execution duration (ms)",
                [
                    state_machine.metric_time(period=PERIOD, statistic="p50", label="p50"),
                    state_machine.metric_time(period=PERIOD, statistic="p99", label="p99"),
                ],
                width=WIDE,
            ),
        )
        self.dashboard.add_widgets(
            graph(
                "Orders table: throttled writes",
                [table.metric_throttled_requests_for_operations(operations=TABLE_WRITES, period=PERIOD)],
            ),
            graph(
                "Orders table: errors",
                [
                    table.metric_system_errors_for_operations(operations=TABLE_WRITES, period=PERIOD),
                    table.metric_user_errors(period=PERIOD),
                ],
            ),
            graph(
                "Topics: published and failed deliveries",
                [
                    metric
                    for name, topic in topics.items()
                    for metric in (
                        topic.metric_number_of_messages_published(period=PERIOD, label=f"{name} published"),
                        topic.metric_number_of_notifications_failed(period=PERIOD, label=f"{name} failed"),
                    )
                ],
            ),
        )
        self.dashboard.add_widgets(
            graph(
                "Orders",
                [
                    business_metric(config.METRIC_ORDERS_STARTED, config.STARTER_SERVICE),
                    business_metric(config.METRIC_DUPLICATE_ORDERS, config.STARTER_SERVICE),
                    business_metric(config.METRIC_ORDERS_ACCEPTED, config.VALIDATE_SERVICE),
                    business_metric(config.METRIC_ORDERS_REJECTED, config.VALIDATE_SERVICE),
                ],
                width=WIDE,
            ),
            graph(
                "Accepted order value, by currency",
                [
                    cloudwatch.MathExpression(
                        expression=(
                            f"SEARCH('{{{config.METRICS_NAMESPACE},currency,service}} "
                            f"MetricName=\"{config.METRIC_ORDER_VALUE}\"', 'Sum', 60)"
                        ),
                        label="",
                        period=PERIOD,
                    )
                ],
                width=WIDE,
            ),
        )

    def _alarm(self, name: str, metric: cloudwatch.Metric, description: str, threshold: float = 1) -> None:
        alarm = metric.create_alarm(
            self,
            name,
            alarm_description=description,
            threshold=threshold,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(self._action)
        alarm.add_ok_action(self._action)
        self.alarms.append(alarm)
