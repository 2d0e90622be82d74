"""KMS: an AWS managed key (`alias/aws/<service>`) exists once a resource uses it, with AWS's key policy.

AWS creates the AWS managed key of a service in an account the first time a resource of that service is
encrypted with it, and nobody can change its key policy ("AWS managed keys",
https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#aws-managed-key). "All AWS managed
keys use a kms:ViaService condition key in their key policy document", which lets the key be used only
for requests from the service that created it ("AWS KMS condition keys", kms:ViaService,
https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service).
The rest of the policy below (principal `*` limited by `kms:CallerAccount`, the action list, the Sids) is
the policy GetKeyPolicy returns for `aws/sns` in an account, not a statement printed on a documentation
page: compare it with your account's before relying on its details. moto knows a few such aliases (not
`aws/sns`), with no policy: a topic encrypted with `alias/aws/sns` then has no key to describe, and the
access checks (`workflow.local.access`) no policy to evaluate.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from moto.kms.models import KmsBackend

_AWS_MANAGED_ALIAS = re.compile(r"alias/aws/([a-z0-9-]+)")

# Kept to check, in tests, that what is replaced still has the shape the replacement assumes.
_original_key_id_from_alias = KmsBackend.get_key_id_from_alias


def aws_managed_key_policy(service: str, account_id: str, region: str) -> dict[str, Any]:
    """The policy AWS gives the AWS managed key of `service` (the statements AWS writes for `aws/sns`)."""
    return {
        "Version": "2012-10-17",
        "Id": f"auto-{service}-1",
        "Statement": [
            {
                "Sid": f"Allow access through {service.upper()} for all principals in the account that are "
                f"authorized to use {service.upper()}",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": [
                    "kms:Decrypt",
                    "kms:GenerateDataKey*",
                    "kms:CreateGrant",
                    "kms:ListGrants",
                    "kms:DescribeKey",
                ],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {
                        "kms:ViaService": f"{service}.{region}.amazonaws.com",
                        "kms:CallerAccount": account_id,
                    }
                },
            },
            {
                "Sid": "Allow direct access to key metadata to the account",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                "Action": ["kms:Describe*", "kms:Get*", "kms:List*", "kms:RevokeGrant"],
                "Resource": "*",
            },
        ],
    }


def _key_id_from_alias(self: KmsBackend, alias_name: str) -> str | None:
    found = _original_key_id_from_alias(self, alias_name)
    managed = _AWS_MANAGED_ALIAS.fullmatch(alias_name)
    if found is not None or managed is None:
        return found
    policy = aws_managed_key_policy(managed.group(1), self.account_id, self.region_name)
    key = self.create_key(
        json.dumps(policy), "ENCRYPT_DECRYPT", "SYMMETRIC_DEFAULT", f"Default key for {managed.group(1)}", None
    )
    self.create_alias(key.id, alias_name)
    return str(key.id)


def install(assign: Callable[[Any, str, Any], None] = setattr) -> None:
    """Apply the patch (tests pass `monkeypatch.setattr`, to undo it afterwards)."""
    assign(KmsBackend, "get_key_id_from_alias", _key_id_from_alias)
