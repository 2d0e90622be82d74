"""The synthesis cache: any change to what goes into a synthesis gives a new one; a reused assembly is the
one a synthesis writes now, byte for byte."""

from __future__ import annotations

import ast
import filecmp
import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from workflow import config
from workflow.app import ConfigurationError
from workflow.cli import main
from workflow.local import synth_cache
from workflow.local.synth_cache import CachedAssembly, InputsChanged, SynthesisFailed, assembly_key

ROOT = config.PROJECT_ROOT


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of every input of a synthesis, to change one at a time."""
    copy = tmp_path / "project"
    copy.mkdir()
    for name in synth_cache.INPUT_FILES:
        shutil.copy2(ROOT / name, copy / name)
    for tree in synth_cache.INPUT_TREES:
        shutil.copytree(ROOT / tree, copy / tree, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


@pytest.mark.parametrize(
    "changed",
    [
        "app.py",  # the app
        "workflow/stack.py",
        "workflow/constructs/orchestration.py",  # a construct
        "workflow/config.py",
        "functions/order_validation/rules.py",  # a handler (an asset)
        "functions/order_contract/body.py",
        "statemachine/order_workflow.asl.json",  # the definition
        "cdk.json",
        "requirements.txt",  # the pins
    ],
)
def test_a_change_to_any_input_file_changes_the_key(project: Path, changed: str) -> None:
    before = assembly_key(root=project)
    with (project / changed).open("a") as file:
        file.write("\n")
    assert assembly_key(root=project) != before


def test_a_new_file_among_the_handlers_changes_the_key(project: Path) -> None:
    before = assembly_key(root=project)
    (project / "functions" / "order_starter" / "extra.py").write_text("")
    assert assembly_key(root=project) != before


def test_the_local_mode_and_compiled_files_are_not_inputs(project: Path) -> None:
    before = assembly_key(root=project)
    (project / "workflow" / "local" / "run.py").write_text("# changed\n")
    (project / "functions" / "order_starter" / "__pycache__").mkdir()
    (project / "functions" / "order_starter" / "__pycache__" / "keys.cpython-311.pyc").write_bytes(b"x")
    assert assembly_key(root=project) == before


def test_the_context_is_part_of_the_key() -> None:
    default = assembly_key()
    assert assembly_key({config.CONTEXT_WORKFLOW_TYPE: "EXPRESS"}) != default
    assert assembly_key({config.CONTEXT_PROFILE: "free-tier"}) != default
    # cdk.json's own value, given again: the same synthesis.
    assert assembly_key({config.CONTEXT_WORKFLOW_TYPE: config.configured(config.CONTEXT_WORKFLOW_TYPE)}) == default


def test_installed_versions_are_part_of_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    default = assembly_key()
    (tmp_path / "aws_cdk_lib-9.9.9.dist-info").mkdir()
    monkeypatch.setattr(sys, "path", [*sys.path, str(tmp_path)])
    assert assembly_key() != default


def test_the_node_jsii_runs_and_cdk_s_environment_are_part_of_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    default = assembly_key()
    monkeypatch.setenv("CDK_CONTEXT_JSON", '{"orders:workflowType": "EXPRESS"}')
    assert assembly_key() != default
    monkeypatch.delenv("CDK_CONTEXT_JSON")
    other_node = tmp_path / "node"
    other_node.write_text("")
    monkeypatch.setenv("JSII_NODE", str(other_node))
    assert assembly_key() != default


def test_synthesis_imports_nothing_the_key_leaves_out() -> None:
    """Every project module the app imports (following imports from workflow/app.py) is an input."""
    inputs = set(synth_cache.input_files(ROOT))
    seen: set[Path] = set()
    pending = [ROOT / "workflow" / "app.py"]
    while pending:
        path = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        for node in ast.walk(ast.parse(path.read_text())):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            if isinstance(node, ast.ImportFrom):
                names += [f"{node.module}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                if name.split(".")[0] != "workflow":
                    continue
                module = ROOT.joinpath(*name.split("."))
                for candidate in (module.with_suffix(".py"), module / "__init__.py"):
                    if candidate.is_file():
                        pending.append(candidate)
    assert len(seen) > 5
    assert seen <= inputs, sorted(str(p) for p in seen - inputs)


def test_a_reused_assembly_is_byte_identical_to_a_fresh_one(
    assembly: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The entry is synthesized in the background, as `orders local run` does, and compared with this session's
    synthesis in the test's own process: the same assembly, byte for byte, whichever process wrote it."""
    with CachedAssembly(directory=tmp_path) as cached:
        assert not cached.ready
        cached.start()  # a synthesis (cdk-nag's report included) in a process of its own
        path = cached.get()
    assert (path / "validation-report.json").is_file()

    def no_synthesis(self: CachedAssembly) -> None:
        raise AssertionError("synthesized again although nothing changed")

    monkeypatch.setattr(CachedAssembly, "synthesize", no_synthesis)
    again = CachedAssembly(directory=tmp_path)
    assert again.ready
    assert again.get() == path
    # `assembly`: this session's fresh synthesis of the same inputs.
    comparison = filecmp.dircmp(path, assembly)
    assert _identical(comparison), f"{path} differs from {assembly}"
    # Another context is another synthesis.
    assert not CachedAssembly({config.CONTEXT_WORKFLOW_TYPE: "EXPRESS"}, directory=tmp_path).ready


def _identical(comparison: filecmp.dircmp[str]) -> bool:
    _, mismatch, errors = filecmp.cmpfiles(comparison.left, comparison.right, comparison.common_files, shallow=False)
    return (
        not comparison.left_only
        and not comparison.right_only
        and not mismatch
        and not errors
        and all(_identical(sub) for sub in comparison.subdirs.values())
    )


def test_a_failed_synthesis_leaves_nothing_to_reuse(tmp_path: Path) -> None:
    cached = CachedAssembly({config.CONTEXT_WORKFLOW_TYPE: "NEITHER"}, directory=tmp_path)
    with pytest.raises(ConfigurationError):
        cached.get()
    assert not cached.ready
    assert list(tmp_path.iterdir()) == []


def test_a_failed_synthesis_in_the_background_says_why_and_leaves_nothing(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    with CachedAssembly({config.CONTEXT_WORKFLOW_TYPE: "NEITHER"}, directory=tmp_path) as cached:
        cached.start()
        with pytest.raises(SynthesisFailed):
            cached.get()
    assert "orders: orders:workflowType must be one of" in capfd.readouterr().err
    assert not cached.ready
    assert list(tmp_path.iterdir()) == []


def test_an_input_changed_during_the_synthesis_leaves_nothing_to_reuse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a synthesis read may be partly the input as it was when the key was computed, partly as it is now:
    kept under either key, it could be reused for inputs it was not synthesized from."""

    def synthesis_during_which_an_input_changes(outdir: Path, **kwargs: object) -> None:
        (outdir / f"{config.STACK_NAME}.template.json").write_text("{}")
        monkeypatch.setenv("CDK_CONTEXT_JSON", '{"orders:workflowType": "EXPRESS"}')  # an input of the key

    monkeypatch.setattr("workflow.app.synthesize", synthesis_during_which_an_input_changes)
    cached = CachedAssembly(directory=tmp_path)
    with pytest.raises(InputsChanged):
        cached.get()
    assert not cached.ready
    assert not CachedAssembly(directory=tmp_path).ready  # nor under the key of the inputs as they are now
    assert list(tmp_path.iterdir()) == []


def test_leaving_stops_an_unfinished_synthesis_and_removes_its_folder(tmp_path: Path) -> None:
    with CachedAssembly(directory=tmp_path) as cached:
        cached.start()
        # In a session of its own, out of reach of the terminal's Ctrl-C: the command's leaving stops it.
        assert cached._process is not None and os.getsid(cached._process.pid) != os.getsid(0)
        deadline = time.monotonic() + 60
        while not any(tmp_path.glob("synthesizing-*/asset.*")):  # under way: CDK is staging the assets
            assert time.monotonic() < deadline, "the synthesis never started"
            time.sleep(0.01)
    assert not cached.ready
    assert list(tmp_path.iterdir()) == []


# --- A synthesis under way: deployed from once written, handed out only once checked ----------------------

# A stand-in for `workflow.app` in the process `CachedAssembly.start()` starts (put on its PYTHONPATH as
# `sitecustomize`): its synthesis writes a real assembly's files in CDK's order (the manifest last, the
# validation report only at the end), then waits for the test's word before it ends as the test says.
FAKE_APP = """
import json, os, shutil, sys, time, types
from pathlib import Path

class ConfigurationError(ValueError):
    pass

def synthesize(outdir, **kwargs):
    plan = json.loads(os.environ["FAKE_SYNTHESIS"])
    source, outdir = Path(plan["assembly"]), Path(outdir)
    for item in sorted(source.iterdir()):
        if item.name not in ("manifest.json", "validation-report.json"):
            (shutil.copytree if item.is_dir() else shutil.copy2)(item, outdir / item.name)
    shutil.copy2(source / "manifest.json", outdir / "manifest.json")
    while not Path(plan["release"]).exists():
        time.sleep(0.01)
    if plan["then"] == "fail":
        raise RuntimeError("Validation failed with the following errors: AwsSolutions-SQS3 (a stand-in)")
    if plan["then"] == "rewrite":
        with (outdir / "OrderProcessor.template.json").open("a") as template:
            template.write(" ")
    shutil.copy2(source / "validation-report.json", outdir / "validation-report.json")

app = types.ModuleType("workflow.app")
app.ConfigurationError, app.synthesize = ConfigurationError, synthesize
sys.modules["workflow.app"] = app
"""


@pytest.fixture
def fake_synthesis(assembly: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], Path]:
    """Makes the synthesis `start()` starts the stand-in above, ending as told ("succeed", "fail", "rewrite")
    once the returned file exists."""
    (tmp_path / "fake").mkdir()
    (tmp_path / "fake" / "sitecustomize.py").write_text(FAKE_APP)
    monkeypatch.setenv("PYTHONPATH", str(tmp_path / "fake"))
    release = tmp_path / "release"

    def plan(then: str) -> Path:
        monkeypatch.setenv(
            "FAKE_SYNTHESIS", json.dumps({"assembly": str(assembly), "release": str(release), "then": then})
        )
        return release

    return plan


def test_the_written_assembly_is_given_out_before_its_checks_end_and_kept_once_they_pass(
    fake_synthesis: Callable[[str], Path], assembly: Path, tmp_path: Path
) -> None:
    release = fake_synthesis("succeed")
    with CachedAssembly(directory=tmp_path / "cache") as cached:
        cached.start()
        written = cached.written()
        assert not release.exists()  # so the synthesis is still checking
        assert json.loads((written / f"{config.STACK_NAME}.template.json").read_text())["Resources"]
        release.touch()
        assert cached.get() == cached.path
    assert _identical(filecmp.dircmp(cached.path, assembly))
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [cached.key]


@pytest.mark.parametrize(
    ("then", "why"),
    [("fail", "exit status 1"), ("rewrite", "the template changed after it was written")],
)
def test_an_assembly_given_out_before_its_checks_is_never_kept_if_they_fail_or_it_changes(
    fake_synthesis: Callable[[str], Path], tmp_path: Path, then: str, why: str
) -> None:
    release = fake_synthesis(then)
    with CachedAssembly(directory=tmp_path / "cache") as cached:
        cached.start()
        cached.written()
        release.touch()
        with pytest.raises(SynthesisFailed, match=why):
            cached.get()
    assert not cached.ready
    assert list((tmp_path / "cache").iterdir()) == []


def test_a_run_whose_synthesis_fails_its_checks_after_deploying_runs_nothing_and_exits_1(
    fake_synthesis: Callable[[str], Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    fake_synthesis("fail").touch()
    monkeypatch.setenv(synth_cache.CACHE_DIR_VARIABLE, str(tmp_path / "cache"))
    orders = tmp_path / "orders.jsonl"
    orders.write_text('{"orderId": "ord-unchecked"}\n', encoding="utf-8")
    report = tmp_path / "report.json"

    assert main(["local", "run", str(orders), "--report", str(report)]) == 1

    captured = capfd.readouterr()
    assert "The stack could not be synthesized: the synthesis ended with exit status 1" in captured.out
    assert "orders: Validation failed with the following errors: AwsSolutions-SQS3" in captured.err  # its own error
    assert "Traceback" not in captured.err
    assert "sending" not in captured.out and "ord-unchecked" not in captured.out
    assert not report.exists()
    assert list((tmp_path / "cache" / "synth").iterdir()) == []
