# mypy: disable-error-code="method-assign,assignment"
# (This module assigns to moto's classes on purpose: that is what a patch is.)
"""Service models: each of botocore's model files read once per process, by one loader.

botocore reads a service's model (its JSON, a few hundred KB for IAM or S3) once per loader. The local mode's
sessions share `LOADER` (`workflow.local.emulator`), but moto reads the same files again with loaders of its
own: `moto.core.utils._load_service_model` builds a new loader on every call (each listing botocore's 400
service folders before reading anything), and each backend's regions come from a `boto3.Session` of moto's own,
which reads the endpoints and the service's model once more. Here:

- moto's models come from one moto loader for the process, which takes a service's model (`service-2`, not the
  paginators moto writes defaults into) from `LOADER` when it would read the same file and neither loader adds
  extras to it (moto's `*.moto-extras` for SQS and S3, botocore's `*.sdk-extras` for S3): the same dict moto
  would have built. A model with extras is read by moto's loader as stock moto reads it
  (`tests/local/patches/test_speed_models.py` compares every model the local mode uses).
- moto's session for a backend's regions is a session on `LOADER`.
"""

from __future__ import annotations

import functools
import os
from typing import Any

import botocore.loaders
import botocore.session
from botocore.exceptions import DataNotFoundError
from botocore.hooks import BaseEventHooks
from moto.core import base_backend
from moto.core import loaders as moto_loaders
from moto.core import utils as core_utils

# Kept to check, in tests, that what is replaced still has the shape the replacements assume.
_original_load_service_model = core_utils._load_service_model
_original_get_session = base_backend.AccountSpecificBackend.get_session

# The one loader of every botocore session the local mode makes.
LOADER = botocore.loaders.create_loader()


def botocore_session(
    session_vars: dict[str, Any] | None = None, *, event_hooks: BaseEventHooks | None = None
) -> botocore.session.Session:
    """A new botocore session that reads service models through `LOADER` (built here, not by
    `botocore.session.get_session`, which code running as a function sees replaced: `workflow.local.emulator`).
    Given `event_hooks` (another session's, which holds botocore's builtin handlers already), on those."""
    session = botocore.session.Session(
        session_vars, event_hooks=event_hooks, include_builtin_handlers=event_hooks is None
    )
    session.register_component("data_loader", LOADER)
    return session


class MotoModels(moto_loaders.Loader):
    """moto's loader, taking from `LOADER` every model both would read alike."""

    def load_service_model(self, service_name: str, type_name: str, api_version: str | None = None) -> Any:
        try:
            version = api_version or self.determine_latest_version(service_name, type_name)
        except DataNotFoundError:  # no such service or model: moto's own loader says so, as it would
            return super().load_service_model(service_name, type_name, api_version)
        name = os.path.join(service_name, version, type_name)
        # Only a service's model itself: moto writes into the paginators it reads (`limit_default`).
        shared = (
            type_name == "service-2"
            and _first_file(self, name) == _first_file(LOADER, name)
            and not any(self._find_extras(service_name, type_name, version))
            and not any(LOADER._find_extras(service_name, type_name, version))
        )
        if shared:
            return LOADER.load_service_model(service_name, type_name, version)
        return super().load_service_model(service_name, type_name, api_version)


def _first_file(loader: botocore.loaders.Loader, name: str) -> str | None:
    """The file `loader.load_data(name)` would read (without reading it)."""
    return next((path for path in loader._potential_locations(name) if loader.file_loader.exists(path)), None)


_MOTO_MODELS = MotoModels(extra_search_paths=[moto_loaders.moto_root])


def _load_service_model(service_name: str, model_name: str) -> dict[str, Any]:
    model: dict[str, Any] = _MOTO_MODELS.load_service_model(service_name, model_name)
    return model


@functools.cache
def _moto_session() -> botocore.session.Session:
    # moto asks it only for regions and partitions, which a botocore session answers as boto3's does.
    return botocore_session()


def _session(cls: type) -> botocore.session.Session:
    return _moto_session()


def install() -> None:
    core_utils._load_service_model = _load_service_model
    base_backend.AccountSpecificBackend.get_session = classmethod(_session)
