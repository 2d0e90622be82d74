"""What a benchmark says when a command it runs exits non-zero: one line, instead of its own traceback."""

from __future__ import annotations

import shlex
import subprocess


def one_line(error: subprocess.CalledProcessError) -> str:
    """The command, its exit status and the last line it wrote to standard error (a traceback's last line is
    the exception)."""
    command = error.cmd if isinstance(error.cmd, str) else shlex.join(str(part) for part in error.cmd)
    stderr = error.stderr.decode(errors="replace") if isinstance(error.stderr, bytes) else error.stderr or ""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return f"{command} exited with status {error.returncode}: {lines[-1] if lines else '(nothing on standard error)'}"
