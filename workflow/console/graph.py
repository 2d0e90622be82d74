"""`orders graph`: the state machine's graph alone, as SVG, drawn by the console page's own code
(static/graph.js) with the pinned dagre, run in node (the project's prerequisite for the CDK CLI)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from workflow.console.page import DAGRE, LayoutLibraryMissing

SCRIPT = Path(__file__).parent / "graph_svg.js"


def definition_svg(definition_text: str) -> str:
    """The definition (ASL JSON text) drawn as an SVG document."""
    node = shutil.which("node")
    if node is None:
        raise LayoutLibraryMissing("node is not installed: the graph is laid out by dagre, in node")
    if not DAGRE.exists():
        raise LayoutLibraryMissing("@dagrejs/dagre is missing from node_modules: run `make setup` (npm ci)")
    drawn = subprocess.run(
        [node, str(SCRIPT)], input=definition_text, capture_output=True, text=True, check=False, timeout=60
    )
    if drawn.returncode != 0:
        raise RuntimeError(f"drawing the graph failed: {drawn.stderr.strip()}")
    return drawn.stdout
