"""Deployment profiles (`-c orders:profile=...`): what the stack spends by the month, shared by CDK and `orders cost`.

`production` is the stack as designed: one customer managed KMS key for everything, on-demand DynamoDB with
point-in-time recovery, every state transition logged. `free-tier` is the same workflow, contract and alarms with
what is billed by the month replaced by what the AWS Free Tier's always-free offers cover (README, "Cost").
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    name: str
    # One customer managed key ($1 a month, plus $1 a month per rotation) for queues, table, topics, logs and the
    # state machine; without it each resource takes the free AWS owned or AWS managed encryption of its service.
    customer_managed_key: bool
    # DynamoDB's free tier covers provisioned capacity (25 WCU and 25 RCU per Region), not on-demand requests.
    table_write_capacity: int | None
    table_read_capacity: int | None
    point_in_time_recovery: bool
    # "ALL" logs every execution event; "ERROR" only the events of executions that fail.
    state_machine_log_level: str
    log_retention: str  # a name of CDK's logs.RetentionDays


PRODUCTION = Profile(
    name="production",
    customer_managed_key=True,
    table_write_capacity=None,
    table_read_capacity=None,
    point_in_time_recovery=True,
    state_machine_log_level="ALL",
    log_retention="ONE_MONTH",
)
FREE_TIER = Profile(
    name="free-tier",
    customer_managed_key=False,
    # An order writes one item (one WCU per KB): 10 writes a second sustained, with DynamoDB's burst capacity
    # above it, and room under the account's 25 free units for another table. The operator commands scan.
    table_write_capacity=10,
    table_read_capacity=5,
    point_in_time_recovery=False,
    state_machine_log_level="ERROR",
    log_retention="ONE_WEEK",
)
PROFILES = {profile.name: profile for profile in (PRODUCTION, FREE_TIER)}
