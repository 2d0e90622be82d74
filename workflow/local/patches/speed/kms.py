# mypy: disable-error-code="method-assign,assignment,attr-defined"
# (This module assigns to moto's modules on purpose: that is what a patch is.)
"""KMS: a key's RSA signing key made when something first uses it.

moto gives every KMS key a private key for Sign, Verify and GetPublicKey, an RSA-2048 one even for a symmetric
encryption key, whose key usage can only be ENCRYPT_DECRYPT ("CreateKey", KeyUsage,
https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateKey.html) and which has no public key
("GetPublicKey": "Returns the public key of an asymmetric KMS key",
https://docs.aws.amazon.com/kms/latest/APIReference/API_GetPublicKey.html): generating it takes about 0.05 s of
CPU per key, at every deployment (this stack has one customer managed key, and AWS managed keys are created on
first use: `fidelity.kms`, which names AWS's page). An RSA key is made the first time it is used instead, as moto
would have made it; an ECC key, whose creation checks its key spec, is made at once, as moto makes it.
"""

from __future__ import annotations

import threading
from typing import Any

from moto.kms import models as kms_models
from moto.kms.utils import KeySpec

# Kept to check, in tests, that what is replaced still has the shape the replacements assume.
_original_generate_private_key = kms_models.generate_private_key


class _PrivateKeyOnFirstUse:
    """Stands in for a key's private key: the first attribute read generates it."""

    def __init__(self, key_spec: str) -> None:
        self._key_spec = key_spec
        self._key: Any = None
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        with self._lock:
            if self._key is None:
                self._key = _original_generate_private_key(self._key_spec)
        return getattr(self._key, name)


def _generate_private_key(key_spec: str) -> Any:
    if key_spec in KeySpec.ecc_key_specs():
        return _original_generate_private_key(key_spec)
    return _PrivateKeyOnFirstUse(key_spec)


def install() -> None:
    kms_models.generate_private_key = _generate_private_key
