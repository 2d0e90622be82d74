"""The console page, as `orders local serve` serves it (scripts and data fetched from the server) or as
`orders local run --html` writes it (one file: scripts, styles and data inlined, nothing fetched)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from workflow import config

STATIC = Path(__file__).parent / "static"
# The graph's layout: dagre, pinned in package.json, installed by `make setup` into node_modules.
DAGRE = config.PROJECT_ROOT / "node_modules" / "@dagrejs" / "dagre" / "dist" / "dagre.min.js"
# In the order they must load: the layout library, the graph drawing, the page.
SCRIPTS = {"dagre.min.js": DAGRE, "graph.js": STATIC / "graph.js", "console.js": STATIC / "console.js"}
STYLES = STATIC / "console.css"


class LayoutLibraryMissing(RuntimeError):
    pass


def asset(name: str) -> bytes:
    """A script or the style sheet, by file name; KeyError for any other name."""
    path = {**SCRIPTS, STYLES.name: STYLES}[name]
    if not path.exists():
        raise LayoutLibraryMissing(f"{path.name} is missing from node_modules: run `make setup` (npm ci)")
    return path.read_bytes()


def served_page() -> str:
    """The page that fetches its scripts and data from the console's server (relative URLs, under /console/)."""
    return _fill(
        styles=f'<link rel="stylesheet" href="static/{STYLES.name}">',
        scripts="\n".join(f'<script src="static/{name}"></script>' for name in SCRIPTS),
        data="",
    )


def standalone_page(gathered: dict[str, Any]) -> str:
    """One self-contained file: every script, the styles and the data inlined."""
    return _fill(
        styles=f"<style>\n{asset(STYLES.name).decode()}</style>",
        scripts="\n".join(f"<script>\n{_script_text(asset(name).decode())}\n</script>" for name in SCRIPTS),
        data=f'<script type="application/json" id="console-data">{_json_text(gathered)}</script>',
    )


def _script_text(code: str) -> str:
    """The script with "</" written "<\\/": found only in its strings, where both mean the same, and the
    second cannot end the element."""
    return code.replace("</", "<\\/")


def _json_text(value: Any) -> str:
    """JSON where no "<" can end the element: written as \\u003c, the same character to a JSON parser."""
    return json.dumps(value, ensure_ascii=False).replace("<", "\\u003c")


def _fill(*, styles: str, scripts: str, data: str) -> str:
    template = (STATIC / "console.html").read_text(encoding="utf-8")
    return (
        template.replace("<!-- styles -->", styles).replace("<!-- scripts -->", scripts).replace("<!-- data -->", data)
    )
