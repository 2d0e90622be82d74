"""The operator commands say in one line why they cannot reach a stack: no traceback, exit status 1."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from moto import mock_aws

from workflow.cli import main


@pytest.fixture
def no_aws_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A shell with no AWS credentials, region or profile, and no instance metadata to fall back on."""
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.mark.usefixtures("no_aws_settings")
def test_without_a_region_the_command_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "ord-1"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("No AWS region: pass --region") and len(out.splitlines()) == 1


@pytest.mark.usefixtures("no_aws_settings")
def test_without_credentials_the_command_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["executions", "--region", "eu-west-1"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("No AWS credentials") and len(out.splitlines()) == 1


def test_without_the_stack_the_command_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    with mock_aws():
        assert main(["history", "ord-1", "--region", "eu-west-1", "--stack-name", "Elsewhere"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("No stack Elsewhere in eu-west-1: deploy it") and len(out.splitlines()) == 1


def test_local_without_a_server_says_how_to_start_one(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert main(["redrive-dlq", "--local", "--port", str(port)]) == 1
    out = capsys.readouterr().out
    assert f"Nothing answers at http://127.0.0.1:{port}: start `orders local serve --port {port}`" in out
