"""`speed.kms`: a key's RSA signing key is generated when first used, and then signs, verifies and shows its
public key as moto's would; a symmetric key never needs one."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from moto import mock_aws
from moto.kms import models as kms_models

from tests.local.patches.helpers import parameters
from workflow.local.patches.speed import kms as patch


def test_moto_still_makes_each_key_s_private_key_where_the_patch_expects() -> None:
    assert "generate_private_key" in kms_models.Key.__init__.__code__.co_names
    assert parameters(patch._original_generate_private_key) == ["key_spec"]


@pytest.fixture
def kms(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, list[int]]]:
    """A KMS client with the patch applied, and the RSA keys generated so far."""
    monkeypatch.setattr(kms_models, "generate_private_key", patch._generate_private_key)
    generated: list[int] = []
    original = rsa.generate_private_key

    def counted(*args: Any, **kwargs: Any) -> Any:
        generated.append(kwargs.get("key_size", 0))
        return original(*args, **kwargs)

    monkeypatch.setattr(rsa, "generate_private_key", counted)
    with mock_aws():
        yield boto3.client("kms", region_name="us-east-1"), generated


def test_a_symmetric_key_encrypts_without_an_rsa_key_ever_being_generated(kms: tuple[Any, list[int]]) -> None:
    client, generated = kms
    key = client.create_key()["KeyMetadata"]["KeyId"]
    blob = client.encrypt(KeyId=key, Plaintext=b"order")["CiphertextBlob"]
    assert client.decrypt(CiphertextBlob=blob)["Plaintext"] == b"order"
    assert generated == []


def test_an_rsa_signing_key_is_generated_once_on_first_use_and_signs_as_moto_s(kms: tuple[Any, list[int]]) -> None:
    client, generated = kms
    key = client.create_key(KeyUsage="SIGN_VERIFY", KeySpec="RSA_3072")["KeyMetadata"]["KeyId"]
    assert generated == []
    algorithm = "RSASSA_PSS_SHA_256"
    signature = client.sign(KeyId=key, Message=b"order", SigningAlgorithm=algorithm)["Signature"]
    verified = client.verify(KeyId=key, Message=b"order", Signature=signature, SigningAlgorithm=algorithm)
    assert verified["SignatureValid"]
    assert len(signature) == 3072 // 8
    client.get_public_key(KeyId=key)
    assert generated == [3072]


def test_an_ecc_key_is_made_at_once_as_moto_makes_it(kms: tuple[Any, list[int]]) -> None:
    client, _ = kms
    key = client.create_key(KeyUsage="SIGN_VERIFY", KeySpec="ECC_NIST_P256")["KeyMetadata"]["KeyId"]
    made = kms_models.kms_backends["123456789012"]["us-east-1"].keys[key].private_key
    assert not isinstance(made, patch._PrivateKeyOnFirstUse)
