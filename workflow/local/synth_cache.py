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
key synthesizes (cdk-nag included) and keeps the result only if the synthesis succeeds and the key, computed
again once it is written, is still the same (an input edited while it ran gives nothing to reuse). The cache
lives in `.cache/synth/` at the project's root (`ORDERS_CACHE_DIR` moves it); deleting the folder clears it.

`start()` synthesizes in a process of its own (`python -m workflow.local.synth_cache`): the synthesis, mostly
Node.js, then runs on the other core while the command goes on (importing the emulator). CDK writes the
assembly's files first and runs cdk-nag and its own validation on them last; `written()` gives the folder out as
soon as they are written (to deploy from), and `get()` once the checks have passed, without waiting for Node.js
to shut down. It is the same `workflow.app.synthesize`, so the same assembly, byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
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
# How often `written()` looks whether the synthesis in the background has written its assembly's files.
POLL_SECONDS = 0.01


class SynthesisFailed(RuntimeError):
    """The synthesis in the background kept no assembly; it printed why on standard error."""


class InputsChanged(RuntimeError):
    """An input of the synthesis changed while it ran: what it wrote may mix old and new, so it is not kept."""


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
    """One synthesis's assembly in the cache: `path` once `ready`. `get()` returns it, synthesizing first if no
    entry has this key (in this process, or in the one `start()` started). Use as a context manager around
    `start()`: leaving it stops a synthesis still running, waits for its process and removes what it left."""

    def __init__(self, context: dict[str, Any] | None = None, *, directory: Path | None = None) -> None:
        self.context = context
        self.directory = directory or cache_dir()
        self.key = assembly_key(context)
        self.path = self.directory / self.key
        # The synthesis `start()` started: its process, the folder it writes, the pipe on which it says it
        # succeeded, what it said (None: not yet), and the digest of the files `written()` gave out.
        self._process: subprocess.Popen[bytes] | None = None
        self._staging: Path | None = None
        self._outcome_pipe: int | None = None
        self._outcome: bytes | None = None
        self._written: str | None = None

    @property
    def ready(self) -> bool:
        return (self.path / f"{config.STACK_NAME}.template.json").is_file()

    def start(self) -> None:
        """Start synthesizing in a process of its own, unless an entry has this key or one was started."""
        if self.ready or self._process is not None:
            return
        staging = self._new_staging()
        read_end, write_end = os.pipe()
        arguments = [str(staging), self.key, json.dumps(self.context), str(write_end)]
        try:
            # A session of its own: Ctrl-C interrupts the command alone, whose leaving (`__exit__`) stops the
            # synthesis quietly; sent to the process group, it broke the synthesis with a traceback of its own.
            self._process = subprocess.Popen(
                [sys.executable, "-m", __name__, *arguments],
                stdin=subprocess.DEVNULL,
                pass_fds=(write_end,),
                start_new_session=True,
            )
        except BaseException:
            os.close(read_end)
            shutil.rmtree(staging, ignore_errors=True)
            raise
        finally:
            os.close(write_end)
        self._staging, self._outcome_pipe = staging, read_end

    def written(self) -> Path:
        """The folder of the assembly once all its files are written. In a synthesis `start()` started, that is
        before it ends: cdk-nag and CDK's own validation run last, on the written template, and `get()` waits
        for them (a stack deployed from here must not be used before `get()` returns)."""
        if self._staging is None or self.ready:
            return self.get()
        # CDK writes the manifest after the template, assets and metadata, and then validates them.
        manifest = self._staging / "manifest.json"
        while not self._finished(timeout=POLL_SECONDS):
            if _whole_json(manifest):
                self._written = _digest(self._staging)
                return self._staging
        return self.get()

    def get(self) -> Path:
        """The assembly's folder, once its synthesis (cdk-nag included) succeeded, synthesized first if no entry
        has this key; raises SynthesisFailed when a synthesis `start()` started ends without one."""
        if self._staging is not None and self._staging.exists() and not self.ready:
            self._finished(timeout=None)
            if self._outcome != SUCCEEDED:
                assert self._process is not None
                raise SynthesisFailed(f"the synthesis ended with exit status {self._process.wait()}")
            if self._written is not None and _digest(self._staging) != self._written:
                raise SynthesisFailed("the template changed after it was written: what was read from it is stale")
            self._keep(self._staging)
        if self.ready:
            os.utime(self.path)  # most recently used: pruned last
        else:
            self.synthesize()
        return self.path

    def _finished(self, timeout: float | None) -> bool:
        """Whether the synthesis `start()` started has ended (its outcome read), waiting up to `timeout`."""
        if self._outcome is None:
            assert self._outcome_pipe is not None
            if not select.select([self._outcome_pipe], [], [], timeout)[0]:
                return False
            # One write of a few bytes, or nothing (end of file) if the process ended without succeeding.
            self._outcome = os.read(self._outcome_pipe, len(SUCCEEDED))
            os.close(self._outcome_pipe)
        return True

    def _new_staging(self) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix="synthesizing-", dir=self.directory))

    def synthesize(self) -> None:
        """Synthesize (cdk-nag included) into a folder of its own, then move it into place in one step, so no
        reader ever sees half an assembly and a failed synthesis leaves nothing behind."""
        staging = self._new_staging()
        try:
            self.synthesize_into(staging)
            self._keep(staging)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def synthesize_into(self, staging: Path) -> None:
        """Synthesize (cdk-nag included) into `staging`; raises InputsChanged if the key is no longer the same
        once it is written (an input changed while it ran)."""
        from workflow.app import synthesize

        synthesize(staging, local=True, context=self.context)
        if assembly_key(self.context) != self.key:
            raise InputsChanged("an input of the stack changed while it was being synthesized: run again")

    def _keep(self, staging: Path) -> None:
        try:
            staging.rename(self.path)
        except OSError:  # another process wrote the same key first: same inputs, same assembly
            if not self.ready:
                raise
        self._prune()

    def _prune(self) -> None:
        entries = [p for p in self.directory.iterdir() if p.is_dir() and not p.name.startswith("synthesizing-")]
        entries.sort(key=lambda p: p.stat().st_mtime, reverse=True)
        for old in entries[KEEP_ENTRIES:]:
            shutil.rmtree(old, ignore_errors=True)

    def __enter__(self) -> CachedAssembly:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        """Stop a synthesis still running and wait for its process (once it has succeeded, that is only Node.js
        shutting down); then remove what it left if it was not kept."""
        if self._process is None:
            return
        try:
            if self._process.poll() is None and self._outcome is None:
                self._process.terminate()
            self._process.wait()
        finally:  # a second Ctrl-C during the wait still leaves nothing behind
            if self._outcome is None:
                assert self._outcome_pipe is not None
                os.close(self._outcome_pipe)
            assert self._staging is not None
            shutil.rmtree(self._staging, ignore_errors=True)


# What the process `start()` starts writes on its pipe once its synthesis succeeded.
SUCCEEDED = b"synthesized"


def _whole_json(path: Path) -> bool:
    """Whether `path` holds a whole JSON document (a file being written holds a part, which does not parse)."""
    try:
        json.loads(path.read_bytes())
    except (OSError, ValueError):
        return False
    return True


def _digest(assembly: Path) -> str:
    """The hash of what a deployment reads from an assembly's own files (its template and asset manifest; each
    asset's folder is named by the hash of its content)."""
    digest = hashlib.sha256()
    for name in (f"{config.STACK_NAME}.template.json", f"{config.STACK_NAME}.assets.json"):
        digest.update((assembly / name).read_bytes())
    return digest.hexdigest()


def _background(staging: str, key: str, context: str, outcome_pipe: str) -> int:
    """`start()`'s process: synthesize the entry `key` into `staging` (which its parent keeps or removes), unless
    an input changed since the key was computed, and say so on `outcome_pipe` once it succeeded."""
    # Stopped by `__exit__`: as an exception, so that Node.js is told to stop too (jsii's exit handler).
    signal.signal(signal.SIGTERM, lambda number, frame: sys.exit(128 + number))
    from workflow.app import ConfigurationError

    cached = CachedAssembly(json.loads(context), directory=Path(staging).parent)
    try:
        if cached.key != key:
            raise InputsChanged("an input of the stack changed before its synthesis started: run again")
        cached.synthesize_into(Path(staging))
    # A setting refused, an input changed, or cdk-nag's or CDK's own checks failing (jsii raises what Node.js
    # threw as a RuntimeError): one line, the checks' findings in it, no traceback.
    except (ConfigurationError, RuntimeError) as error:
        print(f"orders: {error}", file=sys.stderr)
        return 1
    finally:
        # Ended either way: what is left is Node.js shutting down, which jsii waits for; not to be cut short.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    os.write(int(outcome_pipe), SUCCEEDED)
    return 0


if __name__ == "__main__":
    sys.exit(_background(*sys.argv[1:]))
