"""`make deploy` and `make destroy` work where nobody can answer a prompt (CI, a pipe), and still ask on a terminal.

`cdk deploy` asks to approve security changes unless `--require-approval never`; `cdk destroy` asks to confirm
unless `--force` (the CDK CLI's `cdk deploy --help` and `cdk destroy --help`; CDK API reference, enum
RequireApproval: https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.cloud_assembly_schema.RequireApproval.html).
"""

from __future__ import annotations

import os
import pty
import shutil
import subprocess

import pytest

from workflow import config

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make runs the README's commands")


def cdk_commands(stdin: int) -> list[str]:
    """The cdk command lines `make deploy destroy` would run (dry run: -n), with `stdin` as its standard input."""
    result = subprocess.run(
        ["make", "-n", "deploy", "destroy"],
        cwd=config.PROJECT_ROOT,
        stdin=stdin,
        capture_output=True,
        text=True,
        check=True,
    )
    return [line.split("cdk ", 1)[1].strip() for line in result.stdout.splitlines() if "npx --no-install cdk " in line]


def test_without_a_terminal_make_approves_and_confirms() -> None:
    assert cdk_commands(subprocess.DEVNULL) == ["deploy --require-approval never", "destroy --force"]


def test_on_a_terminal_cdk_still_asks() -> None:
    controller, terminal = pty.openpty()
    try:
        assert cdk_commands(terminal) == ["deploy", "destroy"]
    finally:
        os.close(controller)
        os.close(terminal)
