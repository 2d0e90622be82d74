"""The console as a WSGI application, served under /console/ (by `orders local serve`, or any WSGI
server): the page, its scripts, and the JSON it reads, gathered from the services on each request."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from botocore.exceptions import ClientError

from workflow.console import gather, page
from workflow.console.gather import Sources

PREFIX = "/console"
StartResponse = Callable[[str, list[tuple[str, str]]], Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
CONTENT_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}


def console_app(clients_factory: Callable[[], Sources]) -> WsgiApp:
    """A WSGI application serving the console; `clients_factory` gives the clients and names to read."""
    inputs: dict[str, Any] = {}  # execution inputs by ARN: they never change, so each is read once
    lock = threading.Lock()

    def api(route: str, query: dict[str, str]) -> tuple[str, Any]:
        sources = clients_factory()
        if route == "definition":
            return "200 OK", {"stateMachineArn": sources.state_machine_arn, "definition": gather.definition(sources)}
        if route == "executions":
            limit = int(query["limit"]) if query.get("limit", "").isdigit() else 1000
            with lock:
                found = gather.list_executions(sources, query.get("status") or None, limit, inputs)
            return "200 OK", {"executions": found}
        if route == "execution" and query.get("arn"):
            return "200 OK", gather.execution_detail(sources, query["arn"], gather.definition(sources))
        return "404 Not Found", {"error": f"no such API: {route}"}

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        # Mounted under /console (SCRIPT_NAME) or given the whole path: either way, the part after it.
        path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
        route = path.removeprefix(PREFIX)
        if route == "":
            # The page's links are relative to /console/.
            start_response("301 Moved Permanently", [("Location", f"{PREFIX}/")])
            return [b""]
        if route == "/":
            return _send(start_response, "200 OK", "text/html; charset=utf-8", page.served_page().encode())
        if route.startswith("/static/"):
            return _static(start_response, route.removeprefix("/static/"))
        if route.startswith("/api/"):
            query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
            try:
                status, body = api(route.removeprefix("/api/"), query)
            except ClientError as error:
                status, body = "502 Bad Gateway", {"error": gather.refusal(error)}
            except Exception as error:  # shown on the page in one line, not as a traceback in serve's terminal
                status, body = "500 Internal Server Error", {"error": f"{type(error).__name__}: {error}"}
            return _send(start_response, status, "application/json", json.dumps(body).encode())
        return _send(start_response, "404 Not Found", "text/plain", b"not found")

    return app


def _static(start_response: StartResponse, name: str) -> list[bytes]:
    try:
        body = page.asset(name)
    except KeyError:
        return _send(start_response, "404 Not Found", "text/plain", b"not found")
    except page.LayoutLibraryMissing as missing:
        return _send(start_response, "500 Internal Server Error", "text/plain", str(missing).encode())
    return _send(start_response, "200 OK", CONTENT_TYPES[name[name.rfind(".") :]], body)


def _send(start_response: StartResponse, status: str, content_type: str, body: bytes) -> list[bytes]:
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]
