# mypy: disable-error-code="method-assign,assignment,attr-defined"
# (This module assigns to moto's classes on purpose: that is what a patch is.)
"""SNS: one signing certificate per key, and a 1024-bit key.

moto builds and signs a new X.509 certificate for every message it delivers: build one per signing key
and reuse it (each message is still signed, with a 1024-bit key rather than 2048).
"""

from __future__ import annotations

import functools
import types
from collections.abc import Callable
from typing import Any, ClassVar

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from moto.sns import models as sns_models

# SNS signs every delivery; nobody checks these signatures against AWS's certificate locally, and a
# 1024-bit key signs about eight times faster than the 2048-bit one moto makes (the envelope is the same).
LOCAL_SIGNING_KEY_BITS = 1024

# Kept to check, in tests, that what is replaced still has the shape the replacements assume.
_original_private_key = sns_models.Subscription.private_key


class _ReusedCertificateBuilder:
    """Records the builder calls moto makes; builds the certificate for a key once."""

    _certificates: ClassVar[dict[Any, Any]] = {}

    def __init__(self) -> None:
        self._steps: list[tuple[str, tuple[Any, ...]]] = []

    def __getattr__(self, name: str) -> Callable[..., _ReusedCertificateBuilder]:
        def step(*args: Any) -> _ReusedCertificateBuilder:
            self._steps.append((name, args))
            return self

        return step

    def sign(self, key: Any, algorithm: Any) -> Any:
        if key not in self._certificates:
            builder = x509.CertificateBuilder()
            for name, args in self._steps:
                builder = getattr(builder, name)(*args)
            self._certificates[key] = builder.sign(key, algorithm)
        return self._certificates[key]


def _signing_key(self: sns_models.Subscription) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=LOCAL_SIGNING_KEY_BITS)


def install() -> None:
    sns_models.Subscription.private_key = functools.lru_cache(maxsize=None)(_signing_key)
    sns_models.cryptography = types.SimpleNamespace(
        x509=types.SimpleNamespace(
            CertificateBuilder=_ReusedCertificateBuilder, random_serial_number=x509.random_serial_number
        )
    )
