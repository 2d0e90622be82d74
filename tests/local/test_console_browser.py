"""The console page in a real headless Chromium (Debian's `chromium`), served as `orders local serve`
serves it and written as one file as `orders local run --html` writes it: it fetches nothing beyond
127.0.0.1, draws every state of the definition, and colours the path of an execution whose state failed
then succeeded on retry and of one whose failure was caught. Screenshots are saved under
reports/console/ for a person to look at."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.local.browser import CHROMIUM, NOT_INSTALLED, Browser
from tests.local.conftest import execution_prefix
from workflow import config
from workflow.console import console_page
from workflow.local.emulator import EmulatedStack

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason=NOT_INSTALLED)

STATES = set(json.loads(config.DEFINITION_FILE.read_text())["States"])
SCREENSHOTS = config.PROJECT_ROOT / "reports" / "console"
# The fill of each status's box, as the graph's style sheet gives it: the colour a person sees.
FILLS = {
    "succeeded": "rgb(233, 247, 236)",
    "retried": "rgb(255, 247, 224)",
    "caught": "rgb(255, 237, 224)",
    "failed": "rgb(253, 236, 234)",
    "not-reached": "rgb(255, 255, 255)",
}
GRAPH_NODES = """[...document.querySelectorAll('#graph svg .node[data-state]')].map(n => [
  n.dataset.state, n.dataset.status, getComputedStyle(n.querySelector('rect')).fill])"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with Browser() as opened:
        yield opened


def graph_of(browser: Browser, page: str, execution_arn: str) -> dict[str, tuple[str, str]]:
    """Open one execution's page; each state of its graph: (status, the fill its box is painted)."""
    browser.open(f"{page}#execution={urllib.parse.quote(execution_arn, safe='')}")
    browser.wait_for(f"document.querySelector('#summary')?.dataset.arn === {json.dumps(execution_arn)}")
    nodes: list[list[str]] = browser.wait_for(GRAPH_NODES)
    return {name: (status, fill) for name, status, fill in nodes}


def painted(statuses: dict[str, str]) -> dict[str, tuple[str, str]]:
    """What the graph must show: every state, those not named not reached."""
    return {name: (s := statuses.get(name, "not-reached"), FILLS[s]) for name in STATES}


RETRIED = {"ValidateOrder": "succeeded", "SaveOrder": "succeeded", "NotifyCustomer": "retried"}
CAUGHT = {
    "ValidateOrder": "succeeded",
    "SaveOrder": "caught",
    "RecordFailure": "succeeded",
    "AlertOperations": "succeeded",
    "OrderFailed": "failed",
}


def test_the_served_console_colours_each_path_and_fetches_only_from_127_0_0_1(
    browser: Browser, console_stack: EmulatedStack, console_url: str
) -> None:
    browser.requests.clear()
    browser.open(console_url)
    names = browser.wait_for("[...document.querySelectorAll('#executions tbody tr')].map(r => r.dataset.name)")
    assert set(names) == {"ord-ok", "ord-retried", "ord-caught", "ord-ok-again"} | {n for n in names if n[:4] == "msg-"}
    assert len(names) == 5
    # The status filter: only the failed execution.
    browser.evaluate(
        "(s => { s.value = 'FAILED'; s.dispatchEvent(new Event('change')); })(document.querySelector('#status-filter'))"
    )
    assert (
        browser.wait_for(
            "(r => r.length === 1 && r[0].dataset.name)([...document.querySelectorAll('#executions tbody tr')])"
        )
        == "ord-caught"
    )

    # Live: an execution started while the list is open appears in it, polled, without a reload.
    browser.evaluate(
        "(s => { s.value = ''; s.dispatchEvent(new Event('change')); })(document.querySelector('#status-filter'))"
    )
    browser.wait_for("document.querySelectorAll('#executions tbody tr').length === 5")
    sfn = console_stack.client("stepfunctions")
    again = sfn.describe_execution(executionArn=execution_prefix(console_stack) + "ord-ok")["input"]
    sfn.start_execution(stateMachineArn=console_stack.resources.state_machine_arn, name="ord-live", input=again)
    browser.wait_for("!!document.querySelector('#executions tr[data-name=\"ord-live\"]')")

    assert graph_of(browser, console_url, execution_prefix(console_stack) + "ord-retried") == painted(RETRIED)
    browser.screenshot(SCREENSHOTS / "retried.png")
    assert graph_of(browser, console_url, execution_prefix(console_stack) + "ord-caught") == painted(CAUGHT)
    browser.screenshot(SCREENSHOTS / "caught.png")

    # The states table lists what was entered, with the attempts of the state that was retried then caught.
    rows = browser.evaluate(
        "[...document.querySelectorAll('#states tbody tr')].map(r => [...r.cells].map(c => c.textContent))"
    )
    assert [(r[0], r[5]) for r in rows] == [
        ("ValidateOrder", "1"),
        ("SaveOrder", "5"),
        ("RecordFailure", "1"),
        ("AlertOperations", "1"),
        ("OrderFailed", ""),
    ]
    origin = console_url.split("/console/", maxsplit=1)[0] + "/"
    assert browser.requests and all(url.startswith(origin) for url in browser.requests), browser.requests
    assert browser.errors == []


def test_the_page_written_as_one_file_fetches_nothing(
    browser: Browser, console_stack: EmulatedStack, tmp_path: Path
) -> None:
    page = tmp_path / "console.html"
    page.write_text(console_page(console_stack), encoding="utf-8")
    browser.requests.clear()

    graph = graph_of(browser, page.as_uri(), execution_prefix(console_stack) + "ord-caught")

    assert graph == painted(CAUGHT)
    assert {urllib.parse.urlsplit(url).scheme for url in browser.requests} == {"file"}, browser.requests
    assert browser.errors == []
