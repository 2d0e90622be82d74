"""The synthesized assembly, reused while nothing that goes into it has changed.

Synthesizing (CDK and cdk-nag, in Node.js through jsii) is most of what a short local run waits for. An
assembly (every one synthesized for the emulator, `local=True`) is kept under a key that hashes every input
of a synthesis:

- the files: `app.py`, `cdk.json`, the requirements, the stack's code (`workflow/`, except the local mode
  in `workflow/local/`, which no synthesis imports: a test follows the imports), the handlers
  (`functions/`: the assets) and the definition (`statemachine/`);
- the context the app is built with (cdk.json's, with the run's own over it, e.g. `--workflow-type`), so
  that giving cdk.json's own value again reuses the same entry;
- the installed distributions and their versions (every `*.dist-info` on `sys.path`: aws-cdk-lib,
  constructs, cdk-nag, jsii, ...), the interpreter's version, the `node` executable jsii runs, and the
  environment variables CDK and jsii read (`CDK_*`, `JSII_*`).

Any change gives another key, so a reused assembly is always the one a synthesis would write now; a new
key synthesizes (cdk-nag included) and keeps the result only if the synthesis succeeds. The cache lives in
`.cache/synth/` at the project's root (`ORDERS_CACHE_DIR` moves it); deleting the folder clears it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from workflow import config

CACHE_DIR_VARIABLE = "ORDERS_CACHE_DIR"
# Bumped when what an entry holds changes shape.
CACHE_FORMAT = "1"
# Entries kept: the most recently used; older ones are removed when a new one is written.
KEEP_ENTRIES = 16

# What goes into a synthesis, relative to the project's root.
INPUT_FILES = ("app.py", "cdk.json", "requirements.txt")
INPUT_TREES = ("workflow", "functions", "statemachine")
NOT_INPUTS = ("workflow/local",)  # the emulator: deploys an assembly, never synthesizes one
ENVIRONMENT_PREFIXES = ("CDK_", "JSII_")


def cache_dir() -> Path:
    return Path(os.environ.get(CACHE_DIR_VARIABLE) or config.PROJECT_ROOT / ".cache") / "synth"


def input_files(root: Path) -> Iterator[Path]:
    """Every file that goes into a synthesis, in a stable order."""
    for name in INPUT_FILES:
        if (root / name).is_file():
            yield root / name
    excluded = {root / part for part in NOT_INPUTS}
    for tree in INPUT_TREES:
        for path in sorted((root / tree).rglob("*")):
            if (
                path.is_file()
                and "__pycache__" not in path.parts
                and path.suffix != ".pyc"
                and not any(path.is_relative_to(e) for e in excluded)
            ):
                yield path


def installed_versions() -> list[str]:
    """The installed distributions, each as `name-version.dist-info`, and the interpreter's version."""
    found = {sys.version}
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:  # not a directory (a zip, a missing entry)
            continue
        found.update(name for name in names if name.endswith(".dist-info"))
    return sorted(found)


def node_identity() -> str:
    """The `node` jsii starts (JSII_NODE or the PATH's), by path, size and modification time."""
    node = os.environ.get("JSII_NODE") or shutil.which("node")
    if node is None:
        return "no node"
    real = os.path.realpath(node)
    stat = os.stat(real)
    return f"{real} {stat.st_size} {stat.st_mtime_ns}"


def assembly_key(context: dict[str, Any] | None = None, *, root: Path | None = None) -> str:
    """The hash of every input of a synthesis with `context` over cdk.json's (see the module's docstring)."""
    root = root or config.PROJECT_ROOT
    digest = hashlib.sha256()

    def add(label: str, data: bytes) -> None:
        digest.update(f"{label}\0{len(data)}\0".encode())
        digest.update(data)

    add("format", CACHE_FORMAT.encode())
    add("context", json.dumps({**config.cdk_json_context(), **(context or {})}, sort_keys=True).encode())
    for path in input_files(root):
        add(f"file {path.relative_to(root).as_posix()}", path.read_bytes())
    add("versions", "\n".join(installed_versions()).encode())
    add("node", node_identity().encode())
    environment = {k: v for k, v in os.environ.items() if k.startswith(ENVIRONMENT_PREFIXES)}
    add("environment", json.dumps(environment, sort_keys=True).encode())
    return digest.hexdigest()


class CachedAssembly:
    """One synthesis's assembly in the cache: `path` once `ready`; `synthesize()` writes it."""

    def __init__(self, context: dict[str, Any] | None = None, *, directory: Path | None = None) -> None:
        self.context = context
        self.directory = directory or cache_dir()
        self.key = assembly_key(context)
        self.path = self.directory / self.key

    @property
    def ready(self) -> bool:
        return (self.path / f"{config.STACK_NAME}.template.json").is_file()

    def get(self) -> Path:
        """The assembly's folder, synthesized first if no entry has this key."""
        if self.ready:
            os.utime(self.path)  # most recently used: pruned last
        else:
            self.synthesize()
        return self.path

    def synthesize(self) -> None:
        """Synthesize (cdk-nag included) into a folder of its own, then move it into place in one step, so no
        reader ever sees half an assembly and a failed synthesis leaves nothing behind."""
        from workflow.app import synthesize

        self.directory.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix="synthesizing-", dir=self.directory))
        try:
            synthesize(staging, local=True, context=self.context)
            try:
                staging.rename(self.path)
            except OSError:  # another process wrote the same key first: same inputs, same assembly
                if not self.ready:
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        self._prune()

    def _prune(self) -> None:
        entries = [p for p in self.directory.iterdir() if p.is_dir() and not p.name.startswith("synthesizing-")]
        entries.sort(key=lambda p: p.stat().st_mtime, reverse=True)
        for old in entries[KEEP_ENTRIES:]:
            shutil.rmtree(old, ignore_errors=True)
