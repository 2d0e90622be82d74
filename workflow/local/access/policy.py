"""The policy evaluator: what AWS's documented evaluation logic needs for this stack's policies, no more.

Everything here follows the IAM User Guide (and, for keys, the AWS KMS Developer Guide):

- "Policy evaluation logic" and "Determining whether a request is allowed or denied within an account"
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html,
  .../reference_policies_evaluation-logic_policy-eval-denyallow.html): an explicit deny in any policy
  wins; within one account, an allow in the identity-based policies or in a resource-based policy
  that names the principal is enough.
- "IAM JSON policy elements: Action / NotAction / Resource / NotResource / Principal / Condition"
  and "Condition operators" (.../reference_policies_elements_*.html): actions match without regard
  to case, ARNs with it, `*` and `?` are wildcards, ARN patterns match segment by segment; condition
  key names ignore case; several operators or keys are ANDed, several values of one key ORed,
  negated operators need none of the values to match; a missing key makes a condition false, true
  for a negated operator or an `...IfExists` one.
- "Creating a condition with multiple keys or values" (.../reference_policies_multi-value-conditions.html).
- AWS KMS "Default key policy: Allows access to the AWS account and enables IAM policies"
  (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html): a key policy must
  allow; when it allows the account principal (`arn:aws:iam::ACCOUNT:root`), that only delegates to
  the account's IAM policies, which must then allow too.

A policy using anything else (set operators, policy variables, numeric, date or IP operators,
NotPrincipal) raises `UnsupportedPolicy`: the local mode refuses what it cannot judge rather than guess.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

Policy = Mapping[str, Any]


class UnsupportedPolicy(ValueError):
    """A policy uses an element or operator this evaluator does not implement."""


@dataclass(frozen=True)
class Principal:
    """Who makes a request: `arn` as AWS names it in an access-denied message, `identities` the ARNs a
    Principal element may name for it (a role session is named by its session ARN or its role's ARN)."""

    arn: str
    account: str | None
    identities: frozenset[str]
    service: str | None = None

    @classmethod
    def role_session(cls, role_arn: str, session_name: str) -> Principal:
        account = role_arn.split(":")[4]
        role_name = role_arn.rsplit("/", 1)[-1]
        session = f"arn:aws:sts::{account}:assumed-role/{role_name}/{session_name}"
        return cls(arn=session, account=account, identities=frozenset({session, role_arn}))

    @classmethod
    def user(cls, user_arn: str) -> Principal:
        return cls(arn=user_arn, account=user_arn.split(":")[4], identities=frozenset({user_arn}))

    @classmethod
    def aws_service(cls, name: str) -> Principal:
        """A service principal (`cloudwatch.amazonaws.com`): it belongs to no account of ours."""
        return cls(arn=name, account=None, identities=frozenset(), service=name)


@dataclass(frozen=True)
class Request:
    """One authorization request: hashable, so decisions can be cached per request."""

    principal: Principal
    action: str
    resource: str
    context: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, principal: Principal, action: str, resource: str, context: Mapping[str, str] | None = None) -> Request:
        # Condition key names are not case-sensitive: keep them in lower case.
        items = sorted((key.lower(), value) for key, value in (context or {}).items())
        return cls(principal, action, resource, tuple(items))


class Outcome(Enum):
    ALLOW = "allow"
    EXPLICIT_DENY = "explicit deny"
    IMPLICIT_DENY = "implicit deny"


@dataclass(frozen=True)
class Decision:
    """The outcome, and which kind of policy decided it (for the message AWS would give)."""

    outcome: Outcome
    policy_type: str = ""

    @property
    def allowed(self) -> bool:
        return self.outcome is Outcome.ALLOW

    def message(self, request: Request) -> str:
        """As AWS words it ("Troubleshoot access denied error messages",
        https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html)."""
        principal, action, resource = request.principal.arn, request.action, request.resource
        head = f"User: {principal} is not authorized to perform: {action} on resource: {resource}"
        if self.outcome is Outcome.EXPLICIT_DENY:
            article = "an" if self.policy_type[0] in "aeiou" else "a"
            return f"{head} with an explicit deny in {article} {self.policy_type} policy"
        return f"{head} because no {self.policy_type} policy allows the {request.action} action"


ALLOWED = Decision(Outcome.ALLOW)
IDENTITY = "identity-based"
RESOURCE = "resource-based"


def evaluate(request: Request, identity_policies: Sequence[Policy], resource_policy: Policy | None = None) -> Decision:
    """A request within one account (the IAM evaluation logic, without SCPs, boundaries or session policies)."""
    if _any_applies(identity_policies, "Deny", request):
        return Decision(Outcome.EXPLICIT_DENY, IDENTITY)
    if resource_policy is not None and _any_applies([resource_policy], "Deny", request, resource_based=True):
        return Decision(Outcome.EXPLICIT_DENY, RESOURCE)
    if _any_applies(identity_policies, "Allow", request):
        return ALLOWED
    # In the same account, a resource-based policy naming the principal (not only its account) allows.
    if resource_policy is not None and _any_applies([resource_policy], "Allow", request, resource_based=True):
        return ALLOWED
    if not request.principal.identities:
        return Decision(Outcome.IMPLICIT_DENY, RESOURCE)  # a service has no identity-based policies
    return Decision(Outcome.IMPLICIT_DENY, IDENTITY)


def evaluate_kms(request: Request, identity_policies: Sequence[Policy], key_policy: Policy) -> Decision:
    """A request to use a KMS key: the key policy must allow, directly or by delegating to the account,
    in which case the principal's IAM policies must allow too."""
    if _any_applies(identity_policies, "Deny", request):
        return Decision(Outcome.EXPLICIT_DENY, IDENTITY)
    if _any_applies([key_policy], "Deny", request, resource_based=True):
        return Decision(Outcome.EXPLICIT_DENY, RESOURCE)
    if _any_applies([key_policy], "Allow", request, resource_based=True):
        return ALLOWED
    if _any_applies([key_policy], "Allow", request, resource_based=True, account_delegation=True):
        return (
            ALLOWED if _any_applies(identity_policies, "Allow", request) else Decision(Outcome.IMPLICIT_DENY, IDENTITY)
        )
    return Decision(Outcome.IMPLICIT_DENY, RESOURCE)


def _any_applies(
    policies: Iterable[Policy],
    effect: str,
    request: Request,
    *,
    resource_based: bool = False,
    account_delegation: bool = False,
) -> bool:
    """Whether any statement of that effect applies. In a resource-based policy, the principal must be
    named; `account_delegation` asks for statements naming the principal's account instead (which,
    for an Allow, only delegate to the account's own policies)."""
    for policy in policies:
        for statement in _statements(policy):
            if statement.get("Effect") != effect:
                continue
            if resource_based:
                named = _principal_named(statement, request.principal)
                # A Deny naming the account applies to every principal of it.
                wanted = {_Named.ACCOUNT} if account_delegation else {_Named.DIRECTLY}
                if effect == "Deny":
                    wanted = {_Named.DIRECTLY, _Named.ACCOUNT}
                if named not in wanted:
                    continue
            if _statement_applies(statement, request):
                return True
    return False


def _statements(policy: Policy) -> list[Mapping[str, Any]]:
    statements = policy.get("Statement", [])
    return [statements] if isinstance(statements, Mapping) else list(statements)


def check_supported(policy: Policy) -> None:
    """Raise `UnsupportedPolicy` for anything in the policy this evaluator cannot judge, whether or not
    a call would reach it: checked when the deployed policies are read, not at the first call it affects."""
    for statement in _statements(policy):
        _check_statement(statement)


def _check_statement(statement: Mapping[str, Any]) -> None:
    if "NotPrincipal" in statement:
        raise UnsupportedPolicy("NotPrincipal is not evaluated locally")
    for operator, block in (statement.get("Condition") or {}).items():
        for values in block.values():
            _check_condition(operator, _strings(values))


def _check_condition(operator: str, values: list[str]) -> None:
    if ":" in operator:
        raise UnsupportedPolicy(f"set operator {operator} is not evaluated locally")
    if any("${" in value for value in values):
        raise UnsupportedPolicy(f"policy variables ({values}) are not evaluated locally")
    if operator != "Null" and operator.removesuffix("IfExists") not in _OPERATORS:
        raise UnsupportedPolicy(f"condition operator {operator} is not evaluated locally")


def _statement_applies(statement: Mapping[str, Any], request: Request) -> bool:
    _check_statement(statement)
    if "Action" in statement:
        if not any(_action_matches(pattern, request.action) for pattern in _strings(statement["Action"])):
            return False
    elif "NotAction" in statement:
        if any(_action_matches(pattern, request.action) for pattern in _strings(statement["NotAction"])):
            return False
    else:
        return False
    if "Resource" in statement:
        if not any(_resource_matches(pattern, request.resource) for pattern in _strings(statement["Resource"])):
            return False
    elif "NotResource" in statement and any(
        _resource_matches(pattern, request.resource) for pattern in _strings(statement["NotResource"])
    ):
        return False
    return _conditions_hold(statement.get("Condition") or {}, dict(request.context))


class _Named(Enum):
    DIRECTLY = 1
    ACCOUNT = 2
    NOT = 3


def _principal_named(statement: Mapping[str, Any], principal: Principal) -> _Named:
    """How a resource-based statement's Principal names the caller. `"*"` and `{"AWS": "*"}` are
    equivalent and name everyone ("IAM JSON policy elements: Principal", anonymous principals)."""
    element = statement.get("Principal")
    if element is None:
        return _Named.NOT
    if element == "*":
        return _Named.DIRECTLY
    found = _Named.NOT
    for kind, values in element.items():
        for value in _strings(values):
            if kind == "AWS":
                if value == "*" or value in principal.identities:
                    return _Named.DIRECTLY
                if principal.account is not None and value in (
                    principal.account,
                    f"arn:aws:iam::{principal.account}:root",
                ):
                    found = _Named.ACCOUNT
            elif kind == "Service" and principal.service is not None and value == principal.service:
                return _Named.DIRECTLY
    return found


# --- Matching ---------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def _glob(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    """`*` any run of characters, `?` any one character: the only wildcards policies know."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def _like(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    return _glob(pattern, ignore_case).fullmatch(value) is not None


def _action_matches(pattern: str, action: str) -> bool:
    return _like(pattern, action, ignore_case=True)


def arn_like(pattern: str, value: str) -> bool:
    """ArnLike: each of the six colon-delimited components matched on its own, case-sensitively."""
    pattern_parts, value_parts = pattern.split(":", 5), value.split(":", 5)
    if len(pattern_parts) != 6 or len(value_parts) != 6:
        return False
    return all(_like(p, v) for p, v in zip(pattern_parts, value_parts, strict=True))


def _resource_matches(pattern: str, resource: str) -> bool:
    return pattern == "*" or arn_like(pattern, resource)


# --- Conditions -------------------------------------------------------------------------------

# Operator -> (test of one policy value against the request's value, whether the operator is negated).
_OPERATORS: dict[str, tuple[Callable[[str, str], bool], bool]] = {
    "StringEquals": (lambda expected, actual: actual == expected, False),
    "StringNotEquals": (lambda expected, actual: actual == expected, True),
    "StringEqualsIgnoreCase": (lambda expected, actual: actual.casefold() == expected.casefold(), False),
    "StringNotEqualsIgnoreCase": (lambda expected, actual: actual.casefold() == expected.casefold(), True),
    "StringLike": (_like, False),
    "StringNotLike": (_like, True),
    "ArnEquals": (arn_like, False),  # ArnEquals and ArnLike behave identically
    "ArnLike": (arn_like, False),
    "ArnNotEquals": (arn_like, True),
    "ArnNotLike": (arn_like, True),
    "Bool": (lambda expected, actual: actual.lower() == expected.lower(), False),
}


def _conditions_hold(condition: Mapping[str, Any], context: Mapping[str, str]) -> bool:
    return all(
        _condition_holds(operator, key.lower(), _strings(values), context)
        for operator, block in condition.items()
        for key, values in block.items()
    )


def _condition_holds(operator: str, key: str, values: list[str], context: Mapping[str, str]) -> bool:
    if operator == "Null":
        return any((key not in context) == (value.lower() == "true") for value in values)
    if_exists = operator.endswith("IfExists")
    test, negated = _OPERATORS[operator.removesuffix("IfExists")]
    if key not in context:
        return if_exists or negated
    matched = any(test(value, context[key]) for value in values)
    return not matched if negated else matched


def _strings(value: Any) -> list[str]:
    """A policy value as a list of strings (JSON booleans as policies spell them: "true", "false")."""
    items = value if isinstance(value, list) else [value]
    return [str(item).lower() if isinstance(item, bool) else str(item) for item in items]
