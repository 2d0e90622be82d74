"""`speed.models`: moto's models and region lookups read through the local mode's one loader give what stock
moto's own loaders give, and a deployment reads each of botocore's model files once."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from pathlib import Path

import boto3
import botocore.loaders
import pytest
from botocore.exceptions import UnknownServiceError
from moto import mock_aws
from moto.core import base_backend
from moto.core import loaders as moto_loaders
from moto.core import utils as core_utils

from tests.local.patches.helpers import parameters
from workflow import config
from workflow.local.patches.speed import models as patch

# Every service the stack's template, the local mode or the handlers make moto or botocore load.
SERVICES = (
    "cloudformation",
    "cloudwatch",
    "dynamodb",
    "iam",
    "kms",
    "lambda",
    "logs",
    "s3",
    "sns",
    "sqs",
    "ssm",
    "stepfunctions",
)


def test_moto_s_model_loading_keeps_its_shape() -> None:
    assert parameters(patch._original_load_service_model) == ["service_name", "model_name"]
    assert "loader = create_loader()" in inspect.getsource(patch._original_load_service_model)
    for reader in (core_utils.get_service_model, core_utils.get_pagination_model):
        assert "_load_service_model" in inspect.unwrap(reader).__code__.co_names
    assert "return Session()" in inspect.getsource(patch._original_get_session)
    regions = inspect.getsource(base_backend.AccountSpecificBackend._generate_regions)
    assert "AccountSpecificBackend.get_session().get_available_regions(" in regions
    assert "AccountSpecificBackend.get_session().get_available_partitions()" in regions


@pytest.mark.parametrize("service", SERVICES)
def test_moto_gets_the_models_its_own_loader_builds(service: str) -> None:
    stock = moto_loaders.create_loader()
    for model in ("service-2", "paginators-1"):
        assert patch._load_service_model(service, model) == stock.load_service_model(service, model)


def test_a_model_neither_loader_extends_is_read_once_and_one_with_extras_as_moto_reads_it() -> None:
    shared = patch.LOADER.load_service_model
    assert patch._load_service_model("dynamodb", "service-2") is shared("dynamodb", "service-2")
    # SQS has moto extras (its query protocol's result wrappers), S3 both moto's and botocore's.
    for service in ("sqs", "s3"):
        moto_model = patch._load_service_model(service, "service-2")
        assert moto_model is not shared(service, "service-2")
    assert "resultWrapper" in patch._load_service_model("sqs", "service-2")["operations"]["ListQueues"]["output"]
    assert "resultWrapper" not in shared("sqs", "service-2")["operations"]["ListQueues"]["output"]


def test_what_moto_writes_into_a_paginator_stays_out_of_the_sessions_models(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto sets `limit_default` in the paginator it reads (`PaginatedResult`): the sessions' clients share
    `LOADER`'s models, which must stay botocore's."""
    stock = botocore.loaders.create_loader().load_service_model("sqs", "paginators-1")
    monkeypatch.setattr(core_utils, "_load_service_model", patch._load_service_model)
    core_utils.get_pagination_model.cache_clear()  # moto's models as the patch gives them, not from before
    with mock_aws():
        sqs = boto3.Session(botocore_session=patch.botocore_session(), region_name="us-east-1").client("sqs")
        sqs.list_queues(MaxResults=5)
    core_utils.get_pagination_model.cache_clear()
    assert patch.LOADER.load_service_model("sqs", "paginators-1") == stock


def test_an_unknown_service_is_refused_as_moto_refuses_it() -> None:
    with pytest.raises(UnknownServiceError):
        patch._load_service_model("no-such-service", "service-2")


def test_regions_come_out_as_moto_s_own_session_gives_them() -> None:
    session = patch._session(base_backend.AccountSpecificBackend)
    stock = patch._original_get_session.__func__.__wrapped__(base_backend.AccountSpecificBackend)  # type: ignore[attr-defined]
    assert session.get_available_partitions() == stock.get_available_partitions()
    for service in SERVICES:
        assert session.get_available_regions(service) == stock.get_available_regions(service)


# Run in a fresh interpreter: what a whole deployment reads is the point.
SCRIPT = """
import collections, json, sys
from pathlib import Path
import botocore.loaders
from workflow.local.emulator import EmulatedStack

reads = collections.Counter()
original = botocore.loaders.JSONFileLoader.load_file

def load_file(self, path):
    found = original(self, path)
    if found is not None:
        reads[path] += 1
    return found

botocore.loaders.JSONFileLoader.load_file = load_file
with EmulatedStack(Path(sys.argv[1])):
    pass
print(json.dumps(reads))
"""


def test_a_deployment_reads_each_model_file_once(assembly: Path) -> None:
    command = [sys.executable, "-c", SCRIPT, str(assembly)]
    result = subprocess.run(command, capture_output=True, text=True, check=True, cwd=config.PROJECT_ROOT)
    reads: dict[str, int] = json.loads(result.stdout.splitlines()[-1])
    models = {Path(path).relative_to(Path(path).parents[2]).as_posix(): count for path, count in reads.items()}
    assert "dynamodb/2012-08-10/service-2" in models
    # moto reads its own copy of the two models it extends (SQS, S3); every other file is read once.
    again = {path: count for path, count in models.items() if count > 1}
    assert again == {"sqs/2012-11-05/service-2": 2, "s3/2006-03-01/service-2": 2}
