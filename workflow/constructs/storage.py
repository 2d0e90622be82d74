"""OrderStore: the table of order records, one item per message key."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from constructs import Construct

from workflow import config
from workflow.constructs.nag import acknowledge
from workflow.profiles import Profile


class OrderStore(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, key: kms.IKey | None, profile: Profile) -> None:
        super().__init__(scope, construct_id)
        self.table = dynamodb.Table(
            self,
            "Orders",
            partition_key=dynamodb.Attribute(name=config.TABLE_PARTITION_KEY, type=dynamodb.AttributeType.STRING),
            # On demand unless the profile provisions capacity: DynamoDB's free tier covers provisioned capacity only.
            billing_mode=(
                dynamodb.BillingMode.PAY_PER_REQUEST
                if profile.table_write_capacity is None
                else dynamodb.BillingMode.PROVISIONED
            ),
            write_capacity=profile.table_write_capacity,
            read_capacity=profile.table_read_capacity,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=profile.point_in_time_recovery
            ),
            # Without the stack's key, DynamoDB's AWS owned key: no charge, no KMS request billed to the account.
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED if key else dynamodb.TableEncryption.DEFAULT,
            encryption_key=key,
            deletion_protection=False,
            # Order records outlive the stack: `cdk destroy` leaves the table (see the README).
            removal_policy=RemovalPolicy.RETAIN,
        )
        if not profile.point_in_time_recovery:
            acknowledge(
                self.table,
                "DDB3",
                "Free-tier profile: point-in-time recovery is billed per GB-month and the free tier does not cover it; "
                "the table is kept when the stack is destroyed (README, Cost).",
            )
