"""cdk-nag acknowledgments: each names one finding exactly and says why it is acceptable here."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct

# AWS offers no narrower resource for these actions (X-Ray segments, log delivery).
XRAY_AND_LOG_DELIVERY = "IAM5[Resource::*]"


def acknowledge(scope: IConstruct, finding: str, reason: str) -> None:
    """Acknowledge one AwsSolutions finding, e.g. `IAM5[Resource::*]`, on `scope` and below."""
    Validations.of(scope).acknowledge(Acknowledgment(id=f"AwsSolutions::AwsSolutions-{finding}", reason=reason))
