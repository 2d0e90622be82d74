"""`orders graph`: the definition drawn alone, by the console page's drawing code and dagre in node."""

from __future__ import annotations

import json
import re
from pathlib import Path
from xml.etree import ElementTree

import pytest

from workflow import config
from workflow.cli import main

DEFINITION = json.loads(config.DEFINITION_FILE.read_text())
SVG = "{http://www.w3.org/2000/svg}"


def expected_transitions() -> set[tuple[str, str]]:
    """Every transition the definition allows, read here independently of the drawing code."""
    found = {("start", f"state:{DEFINITION['StartAt']}")}
    for name, state in DEFINITION["States"].items():
        targets = [state.get("Next"), *(c["Next"] for c in state.get("Catch", []))]
        found |= {(f"state:{name}", f"state:{target}") for target in targets if target}
        if state.get("End") or state["Type"] in ("Succeed", "Fail"):
            found.add((f"state:{name}", "end"))
    return found


def test_the_graph_has_every_state_and_transition_of_the_definition_laid_out_apart(tmp_path: Path) -> None:
    svg_path = tmp_path / "graph.svg"

    assert main(["graph", "--svg", str(svg_path)]) == 0

    root = ElementTree.fromstring(svg_path.read_text(encoding="utf-8"))
    nodes = root.findall(f".//{SVG}g[@data-state]")
    assert {n.get("data-state") for n in nodes} == set(DEFINITION["States"])
    edges = {(e.get("data-from"), e.get("data-to")) for e in root.findall(f".//{SVG}g[@data-from]")}
    assert edges == expected_transitions()
    # The layout places every box inside the picture, no two overlapping.
    width, height = float(root.get("width", 0)), float(root.get("height", 0))
    boxes = []
    for node in nodes:
        place = re.fullmatch(r"translate\(([\d.]+),([\d.]+)\)", node.get("transform", ""))
        assert place is not None
        x, y = map(float, place.groups())
        rect = node.find(f"{SVG}rect")
        assert rect is not None
        w, h = float(rect.get("width", 0)), float(rect.get("height", 0))
        assert x >= 0 and x + w <= width and y >= 0 and y + h <= height
        boxes.append((x, y, x + w, y + h))
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)


def test_without_a_path_the_svg_goes_to_standard_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["graph"]) == 0
    assert capsys.readouterr().out.startswith("<svg ")
