"""The SNS signing internals `speed.sns` replaces are still what it expects."""

from __future__ import annotations

from moto.sns import models as sns_models

from tests.local.patches.helpers import parameters
from workflow.local.patches.speed import sns as patch


def test_patched_sns_signing_internals_keep_their_shape() -> None:
    assert parameters(patch._original_private_key.__wrapped__) == ["self"]
    assert "private_key" in sns_models.Subscription.get_post_data.__code__.co_names
