"""OrderNotifications: the order topic customers hear from, and the operations topic alarms go to."""

from __future__ import annotations

from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct


class OrderNotifications(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        key: kms.IKey | None,
        notification_email: str | None,
        operations_email: str | None,
    ) -> None:
        super().__init__(scope, construct_id)
        # Without the stack's key, the order topic takes SNS's AWS managed key (no monthly charge; its requests count
        # against KMS's free 20,000 a month). The operations topic cannot: CloudWatch alarms publish to an encrypted
        # topic only if the key policy lets cloudwatch.amazonaws.com use the key, and an AWS managed key's policy
        # cannot be changed ("Managing Amazon SNS encryption keys and costs", compatibility with AWS services:
        # https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html). So it stays unencrypted at rest.
        self.order_topic = sns.Topic(
            self,
            "OrderTopic",
            display_name="Order outcomes",
            master_key=key or kms.Alias.from_alias_name(self, "SnsManagedKey", "alias/aws/sns"),
            enforce_ssl=True,
        )
        self.operations_topic = sns.Topic(
            self,
            "OperationsTopic",
            display_name="Order processor operations",
            master_key=key,
            enforce_ssl=True,
        )
        if notification_email:
            self.order_topic.add_subscription(subscriptions.EmailSubscription(notification_email))
        if operations_email:
            self.operations_topic.add_subscription(subscriptions.EmailSubscription(operations_email))
