"""The local mode's policy evaluator against the examples of AWS's documentation (each test names its page)."""

from __future__ import annotations

from typing import Any

import pytest

from workflow.local.access.policy import (
    Outcome,
    Principal,
    Request,
    UnsupportedPolicy,
    arn_like,
    evaluate,
    evaluate_kms,
)

CARLOS = Principal.user("arn:aws:iam::123456789012:user/carlossalazar")
ROLE = "arn:aws:iam::111122223333:role/ExampleRole"
SESSION = Principal.role_session(ROLE, "session")
KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


# "Policy evaluation logic", example identity-based and resource-based policy evaluation
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
CARLOS_IDENTITY = policy(
    {
        "Sid": "AllowS3ListRead",
        "Effect": "Allow",
        "Action": [
            "s3:GetBucketLocation",
            "s3:GetAccountPublicAccessBlock",
            "s3:ListAccessPoints",
            "s3:ListAllMyBuckets",
        ],
        "Resource": "arn:aws:s3:::*",
    },
    {
        "Sid": "AllowS3Self",
        "Effect": "Allow",
        "Action": "s3:*",
        "Resource": ["arn:aws:s3:::carlossalazar/*", "arn:aws:s3:::carlossalazar"],
    },
    {"Sid": "DenyS3Logs", "Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::*log*"},
)
CARLOS_BUCKET = policy(
    {
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::123456789012:user/carlossalazar"},
        "Action": "s3:*",
        "Resource": ["arn:aws:s3:::carlossalazar/*", "arn:aws:s3:::carlossalazar"],
    }
)


def test_an_explicit_deny_wins_over_every_allow() -> None:
    request = Request.of(CARLOS, "s3:PutObject", "arn:aws:s3:::carlossalazar-logs/file.txt")
    decision = evaluate(request, [CARLOS_IDENTITY], CARLOS_BUCKET)
    assert decision.outcome is Outcome.EXPLICIT_DENY
    assert decision.message(request) == (
        "User: arn:aws:iam::123456789012:user/carlossalazar is not authorized to perform: s3:PutObject on resource: "
        "arn:aws:s3:::carlossalazar-logs/file.txt with an explicit deny in an identity-based policy"
    )


def test_both_policies_allowing_allow() -> None:
    request = Request.of(CARLOS, "s3:PutObject", "arn:aws:s3:::carlossalazar/file.txt")
    assert evaluate(request, [CARLOS_IDENTITY], CARLOS_BUCKET).allowed


def test_in_one_account_either_policy_allowing_is_enough() -> None:
    request = Request.of(CARLOS, "s3:PutObject", "arn:aws:s3:::carlossalazar/file.txt")
    without_self = policy(*[s for s in CARLOS_IDENTITY["Statement"] if s["Sid"] != "AllowS3Self"])
    assert evaluate(request, [without_self], CARLOS_BUCKET).allowed
    assert evaluate(request, [CARLOS_IDENTITY], None).allowed
    denied = evaluate(request, [without_self], None)
    assert denied.outcome is Outcome.IMPLICIT_DENY
    assert denied.message(request).endswith("because no identity-based policy allows the s3:PutObject action")


def test_a_resource_policy_naming_another_principal_does_not_allow() -> None:
    someone_else = Principal.user("arn:aws:iam::123456789012:user/JohnDoe")
    request = Request.of(someone_else, "s3:PutObject", "arn:aws:s3:::carlossalazar/file.txt")
    assert evaluate(request, [], CARLOS_BUCKET).outcome is Outcome.IMPLICIT_DENY


def test_a_resource_policy_naming_a_role_allows_its_sessions() -> None:
    """ "Determining whether a request is allowed or denied within an account": a role session is named
    by its role's ARN (no permissions boundary or session policy here to limit it)."""
    queue = "arn:aws:sqs:us-east-1:111122223333:queue"
    grant = policy({"Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "sqs:SendMessage", "Resource": queue})
    assert evaluate(Request.of(SESSION, "sqs:SendMessage", queue), [], grant).allowed


def test_naming_the_account_in_a_resource_policy_only_delegates() -> None:
    """ "IAM JSON policy elements: Principal", AWS account principals: naming the account delegates
    authority to it; an identity in it still needs its own permission."""
    queue = "arn:aws:sqs:us-east-1:111122223333:queue"
    to_account = policy(
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
            "Action": "sqs:*",
            "Resource": queue,
        }
    )
    assert not evaluate(Request.of(SESSION, "sqs:SendMessage", queue), [], to_account).allowed
    deny_account = policy(
        {"Effect": "Deny", "Principal": {"AWS": "111122223333"}, "Action": "sqs:*", "Resource": queue}
    )
    identity = policy({"Effect": "Allow", "Action": "sqs:*", "Resource": queue})
    assert (
        evaluate(Request.of(SESSION, "sqs:SendMessage", queue), [identity], deny_account).outcome
        is Outcome.EXPLICIT_DENY
    )


@pytest.mark.parametrize("principal", ["*", {"AWS": "*"}])
def test_principal_star_and_aws_star_are_equivalent(principal: Any) -> None:
    """ "IAM JSON policy elements: Principal", anonymous principals: the two forms are equivalent."""
    topic = "arn:aws:sns:us-east-1:111122223333:topic"
    deny_plain_http = policy(
        {
            "Effect": "Deny",
            "Principal": principal,
            "Action": "sns:Publish",
            "Resource": topic,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    )
    identity = policy({"Effect": "Allow", "Action": "sns:Publish", "Resource": topic})
    over_http = Request.of(SESSION, "sns:Publish", topic, {"aws:SecureTransport": "false"})
    over_tls = Request.of(SESSION, "sns:Publish", topic, {"aws:SecureTransport": "true"})
    assert evaluate(over_http, [identity], deny_plain_http).outcome is Outcome.EXPLICIT_DENY
    assert evaluate(over_tls, [identity], deny_plain_http).allowed


def test_a_service_principal_is_named_by_service() -> None:
    queue = "arn:aws:sqs:us-east-1:111122223333:queue"
    topic = "arn:aws:sns:us-east-1:111122223333:topic"
    grant = policy(
        {
            "Effect": "Allow",
            "Principal": {"Service": "sns.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": queue,
            "Condition": {"ArnEquals": {"aws:SourceArn": topic}},
        }
    )
    sns = Principal.aws_service("sns.amazonaws.com")
    assert evaluate(Request.of(sns, "sqs:SendMessage", queue, {"aws:SourceArn": topic}), [], grant).allowed
    other = Request.of(sns, "sqs:SendMessage", queue, {"aws:SourceArn": topic + "-other"})
    assert (
        evaluate(other, [], grant)
        .message(other)
        .endswith("because no resource-based policy allows the sqs:SendMessage action")
    )
    cloudwatch = Principal.aws_service("cloudwatch.amazonaws.com")
    assert not evaluate(Request.of(cloudwatch, "sqs:SendMessage", queue, {"aws:SourceArn": topic}), [], grant).allowed


def test_actions_ignore_case_and_resources_do_not() -> None:
    """ "IAM JSON policy elements: Action": iam:ListAccessKeys is the same as IAM:listaccesskeys;
    "Resource": ARNs are case-sensitive."""
    grant = policy(
        {"Effect": "Allow", "Action": "iam:ListAccessKeys", "Resource": "arn:aws:iam::111122223333:user/Bob"}
    )
    assert evaluate(
        Request.of(SESSION, "IAM:listaccesskeys", "arn:aws:iam::111122223333:user/Bob"), [grant], None
    ).allowed
    assert not evaluate(
        Request.of(SESSION, "iam:ListAccessKeys", "arn:aws:iam::111122223333:user/bob"), [grant], None
    ).allowed


def test_not_action_with_allow_allows_everything_else() -> None:
    """ "IAM JSON policy elements: NotAction", NotAction with Allow: everything but IAM."""
    grant = policy({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
    assert evaluate(Request.of(SESSION, "s3:ListBucket", "arn:aws:s3:::bucket"), [grant], None).allowed
    assert not evaluate(
        Request.of(SESSION, "iam:CreateUser", "arn:aws:iam::111122223333:user/x"), [grant], None
    ).allowed


def test_not_action_with_deny_and_bool_if_exists() -> None:
    """ "IAM JSON policy elements: NotAction", NotAction with Deny: non-IAM actions denied unless signed in with MFA."""
    deny = policy(
        {
            "Sid": "DenyAllUsersNotUsingMFA",
            "Effect": "Deny",
            "NotAction": "iam:*",
            "Resource": "*",
            "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
        }
    )
    allow_all = policy({"Effect": "Allow", "Action": "*", "Resource": "*"})

    def outcome(action: str, context: dict[str, str]) -> Outcome:
        return evaluate(Request.of(SESSION, action, "arn:aws:s3:::bucket", context), [allow_all, deny], None).outcome

    assert outcome("s3:ListBucket", {}) is Outcome.EXPLICIT_DENY  # key missing: ...IfExists holds
    assert outcome("s3:ListBucket", {"aws:MultiFactorAuthPresent": "false"}) is Outcome.EXPLICIT_DENY
    assert outcome("s3:ListBucket", {"aws:MultiFactorAuthPresent": "true"}) is Outcome.ALLOW
    assert outcome("iam:ListUsers", {}) is Outcome.ALLOW


def test_not_resource() -> None:
    """ "IAM JSON policy elements: NotResource": HRPayroll may touch no S3 resource but the Payroll folder."""
    deny = policy(
        {
            "Effect": "Deny",
            "Action": "s3:*",
            "NotResource": ["arn:aws:s3:::HRBucket/Payroll", "arn:aws:s3:::HRBucket/Payroll/*"],
        }
    )
    allow_all = policy({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})
    assert evaluate(
        Request.of(SESSION, "s3:GetObject", "arn:aws:s3:::HRBucket/Payroll/2024"), [allow_all, deny]
    ).allowed
    denied = evaluate(Request.of(SESSION, "s3:GetObject", "arn:aws:s3:::HRBucket/Other"), [allow_all, deny])
    assert denied.outcome is Outcome.EXPLICIT_DENY
    # Only S3 actions are denied: the policy does not reach another service's resources.
    assert (
        evaluate(
            Request.of(SESSION, "ec2:StartInstances", "arn:aws:ec2:us-east-1:1:instance/i-1"), [allow_all, deny]
        ).outcome
        is Outcome.IMPLICIT_DENY
    )


@pytest.mark.parametrize(
    "key",
    [
        "DOC-EXAMPLE-BUCKET/1/test/object.jpg",
        "DOC-EXAMPLE-BUCKET/1/2/test/3/object.jpg",
        "DOC-EXAMPLE-BUCKET/1///test///object.jpg",
        "DOC-EXAMPLE-BUCKET//test/object.jpg",
        "DOC-EXAMPLE-BUCKET/1/test/",
    ],
)
def test_a_resource_wildcard_spans_slashes_within_its_segment(key: str) -> None:
    """ "IAM JSON policy elements: Resource", using wildcards in resource ARNs."""
    grant = policy(
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::DOC-EXAMPLE-BUCKET/*/test/*"}
    )
    assert evaluate(Request.of(SESSION, "s3:GetObject", f"arn:aws:s3:::{key}"), [grant]).allowed


def test_arn_like_matches_segment_by_segment_where_string_like_does_not() -> None:
    """ "IAM JSON policy elements: Condition operators", ARN condition operators (their example)."""
    pattern = "arn:aws:someservice:*:111122223333:finance/*"
    value = "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"
    assert not arn_like(pattern, value)
    statement = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
    like = policy({**statement, "Condition": {"StringLike": {"aws:SourceArn": pattern}}})
    arn = policy({**statement, "Condition": {"ArnLike": {"aws:SourceArn": pattern}}})
    request = Request.of(SESSION, "s3:GetObject", "arn:aws:s3:::b/k", {"aws:SourceArn": value})
    assert evaluate(request, [like]).allowed
    assert not evaluate(request, [arn]).allowed


def test_a_missing_key_fails_a_condition_and_satisfies_a_negated_one() -> None:
    """ "IAM JSON policy elements: Condition operators": a key not in the request context makes the
    condition false, and true for a negated operator such as StringNotLike or ArnNotLike."""
    statement = {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}
    request = Request.of(SESSION, "sqs:SendMessage", "arn:aws:sqs:us-east-1:111122223333:q")
    assert not evaluate(
        request, [policy({**statement, "Condition": {"StringEquals": {"aws:SourceAccount": "1"}}})]
    ).allowed
    assert evaluate(request, [policy({**statement, "Condition": {"ArnNotLike": {"aws:SourceArn": "arn:*"}}})]).allowed
    assert evaluate(
        request, [policy({**statement, "Condition": {"StringEqualsIfExists": {"aws:SourceAccount": "1"}}})]
    ).allowed


def test_null_checks_whether_a_key_is_present() -> None:
    """ "IAM JSON policy elements: Condition operators", Null: aws:TokenIssueTime absent = long-term credentials."""
    grant = policy(
        {"Action": "ec2:*", "Effect": "Allow", "Resource": "*", "Condition": {"Null": {"aws:TokenIssueTime": "true"}}}
    )
    resource = "arn:aws:ec2:us-east-1:111122223333:instance/i-1"
    assert evaluate(Request.of(SESSION, "ec2:StartInstances", resource), [grant]).allowed
    with_token = Request.of(SESSION, "ec2:StartInstances", resource, {"aws:TokenIssueTime": "2024-01-01T00:00:00Z"})
    assert not evaluate(with_token, [grant]).allowed


def test_several_keys_and_operators_are_anded_and_values_ored() -> None:
    """ "Creating a condition with multiple keys or values": operators and keys AND, values OR, and the
    values of a negated operator work like AND (none may match). Condition key names ignore case."""
    statement = {"Effect": "Allow", "Action": "sns:Publish", "Resource": "*"}
    grant = policy(
        {
            **statement,
            "Condition": {
                "StringEquals": {
                    "aws:PrincipalAccount": ["111122223333", "444455556666"],
                    "aws:SourceAccount": "111122223333",
                },
                "Bool": {"aws:SecureTransport": True},
            },
        }
    )
    context = {
        "AWS:principalaccount": "444455556666",
        "aws:SourceAccount": "111122223333",
        "aws:SecureTransport": "true",
    }
    topic = "arn:aws:sns:us-east-1:111122223333:t"
    assert evaluate(Request.of(SESSION, "sns:Publish", topic, context), [grant]).allowed
    assert not evaluate(
        Request.of(SESSION, "sns:Publish", topic, {**context, "aws:SecureTransport": "false"}), [grant]
    ).allowed
    not_equals = policy(
        {**statement, "Condition": {"StringNotEquals": {"aws:PrincipalAccount": ["1", "444455556666"]}}}
    )
    assert not evaluate(Request.of(SESSION, "sns:Publish", topic, context), [not_equals]).allowed
    assert evaluate(Request.of(SESSION, "sns:Publish", topic, {"aws:PrincipalAccount": "2"}), [not_equals]).allowed


def test_what_the_evaluator_does_not_implement_is_refused() -> None:
    request = Request.of(SESSION, "s3:GetObject", "arn:aws:s3:::b/k", {"aws:TagKeys": "a"})
    for condition in (
        {"ForAnyValue:StringEquals": {"aws:TagKeys": "a"}},
        {"NumericLessThan": {"s3:max-keys": "10"}},
        {"StringEquals": {"aws:username": "${aws:username}"}},
    ):
        with pytest.raises(UnsupportedPolicy):
            evaluate(request, [policy({"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": condition})])


# AWS KMS Developer Guide, "Default key policy": "Allows access to the AWS account and enables IAM policies"
# https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
ENABLE_IAM = {
    "Sid": "Enable IAM policies",
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
    "Action": "kms:*",
    "Resource": "*",
}
ROLE_MAY_DECRYPT = policy({"Effect": "Allow", "Action": "kms:Decrypt", "Resource": KEY})


def test_a_key_policy_delegating_to_the_account_needs_the_iam_policy_too() -> None:
    request = Request.of(SESSION, "kms:Decrypt", KEY)
    assert evaluate_kms(request, [ROLE_MAY_DECRYPT], policy(ENABLE_IAM)).allowed
    denied = evaluate_kms(request, [], policy(ENABLE_IAM))
    assert denied.outcome is Outcome.IMPLICIT_DENY
    assert denied.message(request).endswith("because no identity-based policy allows the kms:Decrypt action")


def test_without_the_key_policy_iam_policies_that_allow_are_ineffective() -> None:
    """Without that statement, IAM policies that allow access to the key are ineffective, although IAM
    policies that deny access are still effective."""
    request = Request.of(SESSION, "kms:Decrypt", KEY)
    only_logs = policy(
        {
            "Effect": "Allow",
            "Principal": {"Service": "logs.us-east-1.amazonaws.com"},
            "Action": "kms:*",
            "Resource": "*",
        }
    )
    denied = evaluate_kms(request, [ROLE_MAY_DECRYPT], only_logs)
    assert denied.outcome is Outcome.IMPLICIT_DENY
    assert denied.message(request).endswith("because no resource-based policy allows the kms:Decrypt action")
    deny_in_iam = policy({"Effect": "Deny", "Action": "kms:*", "Resource": "*"})
    assert evaluate_kms(request, [deny_in_iam], policy(ENABLE_IAM)).outcome is Outcome.EXPLICIT_DENY


def test_a_key_policy_naming_the_principal_allows_without_iam() -> None:
    """AWS KMS Developer Guide, "How Amazon DynamoDB uses AWS KMS": the key policy of aws/dynamodb allows
    every principal of the account (Principal "*"), only through DynamoDB (kms:ViaService, kms:CallerAccount)."""
    dynamodb_managed = policy(
        {
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": [
                "kms:Encrypt",
                "kms:Decrypt",
                "kms:ReEncrypt*",
                "kms:GenerateDataKey*",
                "kms:CreateGrant",
                "kms:DescribeKey",
            ],
            "Resource": "*",
            "Condition": {
                "StringEquals": {
                    "kms:CallerAccount": "111122223333",
                    "kms:ViaService": "dynamodb.us-west-2.amazonaws.com",
                }
            },
        }
    )
    via_dynamodb = {"kms:CallerAccount": "111122223333", "kms:ViaService": "dynamodb.us-west-2.amazonaws.com"}
    assert evaluate_kms(Request.of(SESSION, "kms:Decrypt", KEY, via_dynamodb), [], dynamodb_managed).allowed
    directly = Request.of(SESSION, "kms:Decrypt", KEY, {"kms:CallerAccount": "111122223333"})
    assert not evaluate_kms(directly, [ROLE_MAY_DECRYPT], dynamodb_managed).allowed
