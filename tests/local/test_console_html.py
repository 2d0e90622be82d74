"""`orders local run --html PATH`: the console page written as one file after the run (in a module of its
own: the run deploys an emulated stack, which cannot run beside tests/local/test_console.py's)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.local.conftest import console_order
from workflow.cli import main


def test_local_run_writes_the_page_as_one_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    orders = tmp_path / "orders.jsonl"
    orders.write_text(console_order("ord-html") + "\n", encoding="utf-8")
    page = tmp_path / "console.html"

    assert main(["local", "run", str(orders), "--time-scale", "0.0001", "--html", str(page)]) == 0

    html = page.read_text(encoding="utf-8")
    assert "src=" not in html and 'href="static' not in html  # nothing to fetch: all inlined
    data = json.loads(html.split('id="console-data">', 1)[1].split("</script>", 1)[0])
    assert [(e["name"], e["outcome"]) for e in data["executions"]] == [("ord-html", "ACCEPTED")]
    assert f"Console page written to {page}" in capsys.readouterr().out
