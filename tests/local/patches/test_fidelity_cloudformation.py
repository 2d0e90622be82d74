"""The CloudFormation and SSM internals `fidelity.cloudformation` replaces or writes are still what it expects."""

from __future__ import annotations

from moto.cloudformation import parsing
from moto.ssm.models import SimpleSystemManagerBackend

from tests.local.patches.helpers import parameters
from workflow.local.patches.fidelity import cloudformation as patch


def test_patched_cloudformation_internals_keep_their_shape() -> None:
    assert parameters(patch._original_create_state_machine)[:4] == [
        "resource_name",
        "cloudformation_json",
        "account_id",
        "region_name",
    ]
    for cached in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        assert hasattr(cached, "cache_clear")
    assert "_parameters" in SimpleSystemManagerBackend.__init__.__code__.co_names
