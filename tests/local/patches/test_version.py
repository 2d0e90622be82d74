"""The guard: the local mode runs only on the moto version its patches are written against."""

from __future__ import annotations

import moto
import pytest

from workflow.local import patches
from workflow.local.patches import version as patch
from workflow.local.runtime import LambdaRuntime


def test_moto_is_the_pinned_version() -> None:
    assert moto.__version__ == patch.PINNED_MOTO


def test_another_moto_version_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    monkeypatch.setattr(moto, "__version__", "9.9.9")
    with pytest.raises(RuntimeError, match=r"patches moto 5\.2\.5 internals, but moto 9\.9\.9 is installed"):
        patches.install(LambdaRuntime(tmp_path), time_scale=1)  # type: ignore[arg-type]
