"""A real headless Chromium, driven through the Chrome DevTools Protocol over a pipe (no extra package).

Chromium reads protocol messages from file descriptor 3 and writes its own to 4, each a JSON text
ended by a NUL byte, when started with `--remote-debugging-pipe`
(https://chromedevtools.github.io/devtools-protocol/). The page's requests, uncaught exceptions and
console errors are recorded as they come.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

# Debian's package installs `chromium`; other systems name it otherwise.
CHROMIUM = next(
    (found for name in ("chromium", "chromium-browser", "google-chrome") if (found := shutil.which(name))), None
)
NOT_INSTALLED = (
    "Chromium is not installed, so the console page was NOT tested in a browser "
    "(Debian: apt-get install chromium; .ci/run installs it)"
)


_AT_3_AND_4 = (
    "import os, sys; os.dup2(int(sys.argv[1]), 3); os.dup2(int(sys.argv[2]), 4); os.execv(sys.argv[3], sys.argv[3:])"
)


def _above_4(fd: int) -> int:
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD, 5)
    os.close(fd)
    return moved


class ProtocolError(RuntimeError):
    pass


class Browser:
    """`with Browser() as browser: browser.open(url); browser.evaluate("...")`: one page, headless."""

    def __init__(self, width: int = 1400, height: int = 1000) -> None:
        if CHROMIUM is None:
            raise RuntimeError(NOT_INSTALLED)
        self._profile = tempfile.mkdtemp(prefix="orders-chromium-")
        to_browser, self._write_fd = os.pipe()
        self._read_fd, from_browser = os.pipe()
        # Above 4, so that putting one end at 3 cannot overwrite the other before it is moved to 4.
        to_browser, from_browser = (_above_4(fd) for fd in (to_browser, from_browser))
        flags = [
            "--headless",
            "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--no-default-browser-check",
            "--remote-debugging-pipe",
            f"--user-data-dir={self._profile}",
            f"--window-size={width},{height}",
            "about:blank",
        ]
        # A small Python puts the two pipe ends at the descriptors Chromium reads (3) and writes (4), then
        # becomes Chromium.
        self._process = subprocess.Popen(
            [sys.executable, "-c", _AT_3_AND_4, str(to_browser), str(from_browser), CHROMIUM, *flags],
            pass_fds=(to_browser, from_browser),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_browser)
        os.close(from_browser)
        self._next_id = 0
        self._responses: dict[int, dict[str, Any]] = {}
        self._arrived = threading.Condition()
        self.requests: list[str] = []
        self.errors: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        target = self._send("Target.createTarget", {"url": "about:blank"}, session=False)["targetId"]
        self._session = self._send("Target.attachToTarget", {"targetId": target, "flatten": True}, session=False)[
            "sessionId"
        ]
        for domain in ("Page", "Network", "Runtime"):
            self._send(f"{domain}.enable")
        self._send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
        os.close(self._write_fd)
        shutil.rmtree(self._profile, ignore_errors=True)

    def open(self, url: str) -> None:
        self._send("Page.navigate", {"url": url})

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (a promise is awaited)."""
        result = self._send("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in result:
            raise ProtocolError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 20) -> Any:
        """Evaluate until the expression is truthy; its value."""
        deadline = time.monotonic() + timeout
        while not (value := self.evaluate(expression)):
            if time.monotonic() > deadline:
                raise TimeoutError(f"still false after {timeout} s: {expression}; page errors: {self.errors}")
            time.sleep(0.1)
        return value

    def screenshot(self, path: Path) -> None:
        data = self._send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": False})["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))

    def _send(self, method: str, params: dict[str, Any] | None = None, *, session: bool = True) -> dict[str, Any]:
        with self._arrived:
            self._next_id += 1
            message_id = self._next_id
        message: dict[str, Any] = {"id": message_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = self._session
        os.write(self._write_fd, json.dumps(message).encode() + b"\0")
        with self._arrived:
            if not self._arrived.wait_for(lambda: message_id in self._responses, timeout=30):
                raise TimeoutError(f"Chromium did not answer {method}")
            response = self._responses.pop(message_id)
        if "error" in response:
            raise ProtocolError(f"{method}: {response['error']}")
        result: dict[str, Any] = response["result"]
        return result

    def _read(self) -> None:
        buffer = b""
        while chunk := os.read(self._read_fd, 65536):
            buffer += chunk
            *messages, buffer = buffer.split(b"\0")
            for raw in messages:
                self._dispatch(json.loads(raw))
        os.close(self._read_fd)

    def _dispatch(self, message: dict[str, Any]) -> None:
        if "id" in message:
            with self._arrived:
                self._responses[message["id"]] = message
                self._arrived.notify_all()
            return
        params = message.get("params", {})
        match message.get("method"):
            case "Network.requestWillBeSent":
                self.requests.append(params["request"]["url"])
            case "Network.loadingFailed":
                self.errors.append(f"request failed: {params.get('errorText')}")
            case "Runtime.exceptionThrown":
                self.errors.append(f"exception: {params['exceptionDetails'].get('exception', {}).get('description')}")
            case "Runtime.consoleAPICalled" if params.get("type") == "error":
                self.errors.append(f"console.error: {[a.get('value') for a in params.get('args', [])]}")
