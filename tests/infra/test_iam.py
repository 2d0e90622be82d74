"""Least privilege, read from the synthesized template: no wildcard actions, `Resource: "*"` only where
AWS offers nothing narrower (each such action listed here with its reason), no Allow by exclusion, and a
KMS key policy that gives services only what encryption needs.

Every check collects all offending statements and fails naming each policy and statement.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from tests.infra.conftest import only

# The only actions an identity policy may allow on `Resource: "*"`, each with why it cannot be scoped.
# Keep it minimal: `test_every_star_resource_exception_is_needed` fails on an entry the template no longer uses.
STAR_RESOURCE_ACTIONS: dict[str, str] = {
    "xray:PutTraceSegments": "functions and state machine send traces; X-Ray has no resource-level permissions",
    "xray:PutTelemetryRecords": "the X-Ray SDK reports its telemetry; X-Ray has no resource-level permissions",
    "xray:GetSamplingRules": "the state machine reads sampling rules; X-Ray has no resource-level permissions",
    "xray:GetSamplingTargets": "the state machine reads sampling quotas; X-Ray has no resource-level permissions",
    "logs:CreateLogDelivery": "Step Functions logging creates a vended log delivery, which has no ARN to scope to",
    "logs:GetLogDelivery": "Step Functions logging reads its log delivery (no resource-level permissions)",
    "logs:UpdateLogDelivery": "Step Functions logging updates its log delivery (no resource-level permissions)",
    "logs:DeleteLogDelivery": "Step Functions logging removes its log delivery (no resource-level permissions)",
    "logs:ListLogDeliveries": "a List action: AWS supports only Resource '*' for it",
    "logs:PutResourcePolicy": "log delivery writes the log groups' resource policy, an account-level resource",
    "logs:DescribeResourcePolicies": "a Describe action on account-level resource policies: only Resource '*'",
    "logs:DescribeLogGroups": "Step Functions checks the destination log group; Describe needs Resource '*'",
}

# What a service principal may do with the stack's key (the key policy): encrypt and decrypt data, never manage it.
# Checked by what each action pattern matches, not by its spelling: CDK's StateMachine (logging with a customer
# managed key) gives delivery.logs.amazonaws.com "kms:Decrypt*", which matches kms:Decrypt alone.
SERVICE_KEY_ACTIONS = ("kms:Decrypt", "kms:Encrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*")

# Every KMS action (AWS Service Authorization Reference), to know what a wildcard in a key policy matches.
KMS_ACTIONS = frozenset(
    f"kms:{name}"
    for name in (
        "CancelKeyDeletion",
        "ConnectCustomKeyStore",
        "CreateAlias",
        "CreateCustomKeyStore",
        "CreateGrant",
        "CreateKey",
        "Decrypt",
        "DeleteAlias",
        "DeleteCustomKeyStore",
        "DeleteImportedKeyMaterial",
        "DeriveSharedSecret",
        "DescribeCustomKeyStores",
        "DescribeKey",
        "DisableKey",
        "DisableKeyRotation",
        "DisconnectCustomKeyStore",
        "EnableKey",
        "EnableKeyRotation",
        "Encrypt",
        "GenerateDataKey",
        "GenerateDataKeyPair",
        "GenerateDataKeyPairWithoutPlaintext",
        "GenerateDataKeyWithoutPlaintext",
        "GenerateMac",
        "GenerateRandom",
        "GetKeyPolicy",
        "GetKeyRotationStatus",
        "GetParametersForImport",
        "GetPublicKey",
        "ImportKeyMaterial",
        "ListAliases",
        "ListGrants",
        "ListKeyPolicies",
        "ListKeyRotations",
        "ListKeys",
        "ListResourceTags",
        "ListRetirableGrants",
        "PutKeyPolicy",
        "ReEncryptFrom",
        "ReEncryptTo",
        "ReplicateKey",
        "RetireGrant",
        "RevokeGrant",
        "RotateKeyOnDemand",
        "ScheduleKeyDeletion",
        "Sign",
        "SynchronizeMultiRegionKey",
        "TagResource",
        "UntagResource",
        "UpdateAlias",
        "UpdateCustomKeyStore",
        "UpdateKeyDescription",
        "UpdatePrimaryRegion",
        "Verify",
        "VerifyMac",
    )
)

# The statement CDK writes into every key policy: the account (through IAM) administers the key.
ACCOUNT_ROOT = {
    "AWS": {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::", {"Ref": "AWS::AccountId"}, ":root"]]}
}


@dataclass(frozen=True)
class Statement:
    policy: str  # the policy's logical id, or "<role logical id>/<inline policy name>"
    index: int
    body: dict[str, Any]

    def __str__(self) -> str:
        sid = f" ({self.body['Sid']})" if "Sid" in self.body else ""
        return f"{self.policy} statement {self.index}{sid}: {json.dumps(self.body, sort_keys=True)}"

    @property
    def allows(self) -> bool:
        return bool(self.body.get("Effect") == "Allow")

    @property
    def actions(self) -> list[str]:
        return _as_list(self.body.get("Action", []))

    @property
    def resources(self) -> list[Any]:
        return _as_list(self.body.get("Resource", []))


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _statements_of(policy: str, document: dict[str, Any]) -> list[Statement]:
    return [Statement(policy, i, s) for i, s in enumerate(_as_list(document.get("Statement", [])))]


def identity_statements(template_json: dict[str, Any]) -> list[Statement]:
    """Every statement of every identity policy: policies, managed policies, and inline policies of roles
    (and of users and groups, should the stack ever have any)."""
    found: list[Statement] = []
    for name, resource in template_json["Resources"].items():
        props = resource.get("Properties", {})
        if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            found += _statements_of(name, props["PolicyDocument"])
        elif resource["Type"] in ("AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group"):
            for inline in props.get("Policies", []):
                found += _statements_of(f"{name}/{inline['PolicyName']}", inline["PolicyDocument"])
    return found


def is_every_action(action: Any) -> bool:
    """`*`, or every action of a service (`s3:*`; also `*:*`)."""
    return isinstance(action, str) and (action == "*" or action.split(":", 1)[-1] == "*")


def matching(pattern: str, catalogue: frozenset[str]) -> set[str]:
    """The actions of `catalogue` an IAM action pattern matches (`*` and `?` wildcards, case-insensitive)."""
    regex = re.compile(re.escape(pattern).replace(r"\*", ".*").replace(r"\?", "."), re.IGNORECASE)
    return {action for action in catalogue if regex.fullmatch(action)}


def fail_with(offences: list[str], what: str) -> None:
    assert not offences, f"{what}:\n" + "\n".join(f"  - {o}" for o in offences)


def test_there_are_policies_to_check(template_json: dict[str, Any]) -> None:
    policies = {s.policy for s in identity_statements(template_json)}
    for part in ("Starter", "ValidateOrder", "StateMachine"):
        assert any(part in p for p in policies), f"no identity policy for *{part}* among {sorted(policies)}"


def test_no_statement_allows_every_action_of_a_service(template_json: dict[str, Any]) -> None:
    offences = [
        f"{s} allows {a!r}"
        for s in identity_statements(template_json)
        if s.allows
        for a in s.actions
        if is_every_action(a)
    ]
    fail_with(offences, "statements that allow `*` or `service:*`")


def test_resource_star_only_for_actions_that_cannot_be_scoped(template_json: dict[str, Any]) -> None:
    offences = []
    for s in identity_statements(template_json):
        if s.allows and "*" in s.resources:
            unlisted = [a for a in s.actions if a not in STAR_RESOURCE_ACTIONS]
            if unlisted:
                offences.append(f"{s} allows {unlisted} on Resource '*'")
    fail_with(offences, "statements that allow actions on Resource '*' outside STAR_RESOURCE_ACTIONS")


def test_no_allow_statement_uses_not_action_or_not_resource(template_json: dict[str, Any]) -> None:
    offences = [
        f"{s} allows by exclusion ({', '.join(k for k in ('NotAction', 'NotResource') if k in s.body)})"
        for s in identity_statements(template_json)
        if s.allows and ("NotAction" in s.body or "NotResource" in s.body)
    ]
    fail_with(offences, "Allow statements with NotAction or NotResource")


def test_every_star_resource_exception_is_needed(template_json: dict[str, Any]) -> None:
    used = {a for s in identity_statements(template_json) if s.allows and "*" in s.resources for a in s.actions}
    unused = sorted(set(STAR_RESOURCE_ACTIONS) - used)
    assert not unused, f"STAR_RESOURCE_ACTIONS lists actions no statement needs on Resource '*': {unused}"


def key_policy_statements(template_json: dict[str, Any]) -> list[Statement]:
    name, key = only(template_json, "AWS::KMS::Key")
    return _statements_of(f"{name} key policy", key["Properties"]["KeyPolicy"])


def test_the_key_policy_has_one_account_administration_statement(template_json: dict[str, Any]) -> None:
    statements = key_policy_statements(template_json)
    administration = [s for s in statements if s.body.get("Principal") == ACCOUNT_ROOT]
    assert len(administration) == 1, (
        f"expected CDK's one account-root statement, found {[str(s) for s in administration]}"
    )
    (root,) = administration
    assert root.allows and root.actions == ["kms:*"] and root.resources == ["*"], str(root)
    assert "Condition" not in root.body, str(root)
    others = [str(s) for s in statements if s is not root and "AWS" in (s.body.get("Principal") or {})]
    fail_with(others, "key policy statements naming an AWS principal other than the account root")


def test_services_may_only_encrypt_and_decrypt_with_the_key(template_json: dict[str, Any]) -> None:
    allowed = set().union(*(matching(a, KMS_ACTIONS) for a in SERVICE_KEY_ACTIONS))
    offences = []
    for s in key_policy_statements(template_json):
        if not s.allows or s.body.get("Principal") == ACCOUNT_ROOT:
            continue
        principal = s.body.get("Principal")
        if not isinstance(principal, dict) or set(principal) != {"Service"}:
            offences.append(f"{s} names a principal that is not a service")
        for word in ("NotAction", "NotResource", "NotPrincipal"):
            if word in s.body:
                offences.append(f"{s} allows by exclusion ({word})")
        for action in s.actions:
            matched = matching(action, KMS_ACTIONS)
            if is_every_action(action):
                offences.append(f"{s} allows {action!r}: every KMS action, administration included")
            elif not matched:
                offences.append(f"{s} allows {action!r}, which matches no action in KMS_ACTIONS")
            elif not matched <= allowed:
                beyond = sorted(matched - allowed)
                offences.append(f"{s} allows {action!r}, which grants {beyond} beyond {list(SERVICE_KEY_ACTIONS)}")
    fail_with(offences, "key policy statements that give a service more than encryption")
