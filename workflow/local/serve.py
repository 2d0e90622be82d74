"""`orders local serve`: the emulated stack kept running on 127.0.0.1, for anything that speaks AWS.

moto's server mode (its werkzeug application, `moto.moto_server.werkzeug_app`, as `ThreadedMotoServer`
builds it) answers HTTP requests from the same in-process backends the stack was deployed into. The
patches of `workflow.local.patches` change moto's models and response classes, which both ways in
reach: a message SQS refuses, an Express execution DescribeExecution refuses, are refused over HTTP as
in-process. The application's callers (Lambda's poller, the handlers, the state machine's tasks) still
run in this process, on the application session, so their calls are authorized as in `orders local
run` (`workflow.local.access`). Calls arriving over HTTP are an operator's or a user's own, like the
local mode's own calls: not checked against the stack's policies.

Which account a request reaches: moto maps an access key it did not issue to its default account,
which is the emulated stack's (`ACCOUNT_ID`), so any credentials do; the region is the one the
request is signed for, and must be the stack's (`config.LOCAL_REGION`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from moto.moto_server import werkzeug_app
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import BaseWSGIServer, make_server

from workflow.aws import local_session
from workflow.local.emulator import EmulatedStack
from workflow.local.poller import SqsEventSource

HOST = "127.0.0.1"
# The console page is mounted here; every other path is AWS's (moto's).
CONSOLE_PATH = "/console"

# The poller's rest after an empty receive, in seconds (see LocalServer._poll).
MIN_REST, MAX_REST = 0.01, 0.2

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _not_aws(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """moto's own control API (`/moto-api`: reset every backend, reseed, reconfigure) and its instance
    metadata (`/latest`) are not AWS: a caller that reached them could wipe or reseed the stack behind the
    local mode's back."""
    body = b"Not found: this endpoint serves the emulated stack's AWS APIs and /console/ only."
    start_response("404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


class _QuietRequestHandler(MotoRequestHandler):
    """moto's request handler without a log line per request (errors are still logged)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class LocalServer:
    """Serves `stack` over HTTP and keeps Lambda's poller running, until closed.

    `with LocalServer(stack, port, console_app) as server: ...`; port 0 picks a free one (`server.port`).
    """

    def __init__(self, stack: EmulatedStack, port: int, console: WSGIApp) -> None:
        self.stack = stack
        # moto's server answers every origin's cross-origin requests (any web page open in the browser could
        # call the stack); AWS's APIs served here do not.
        werkzeug_app.DISABLE_GLOBAL_CORS = True  # type: ignore[attr-defined]
        mounts = {CONSOLE_PATH: console, "/moto-api": _not_aws, "/latest": _not_aws}
        self._app = DispatcherMiddleware(DomainDispatcherApplication(create_backend_app), mounts)
        self._requested_port = port
        self._server: BaseWSGIServer | None = None
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        # What the poller could not do (an access denied reading the queue): shown by the command, once each.
        self.poller_errors: list[str] = []

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the server is not started")
        return int(self._server.server_port)

    @property
    def endpoint(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def console_url(self) -> str:
        return f"{self.endpoint}{CONSOLE_PATH}/"

    def __enter__(self) -> LocalServer:
        self._server = make_server(
            HOST, self._requested_port, self._app, threaded=True, request_handler=_QuietRequestHandler
        )
        source = SqsEventSource(self.stack)
        self._start(self._server.serve_forever, "orders-serve-http")
        self._start(lambda: self._poll(source), "orders-serve-poller")
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        for thread in self._threads:
            thread.join()

    def _start(self, target: Callable[[], object], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _poll(self, source: SqsEventSource) -> None:
        """Lambda's poller, for as long as the server runs. On AWS it long-polls; here an empty receive is
        followed by a rest that doubles from 10 ms up to 200 ms, so an idle server costs little and a new
        message waits at most that long."""
        rest = MIN_REST
        while not self._stopping.is_set():
            try:
                received = source.poll_once()
            # e.g. the starter's role may not read the queue: say so, keep trying. Anything else is said too
            # rather than ending the poller's thread while the server still claims to serve.
            except Exception as error:
                if str(error) not in self.poller_errors:
                    self.poller_errors.append(str(error))
                received = 0
            if received:
                rest = MIN_REST
            else:
                self._stopping.wait(rest)
                rest = min(rest * 2, MAX_REST)

    def client(self, service: str) -> Any:
        """A client of this server, as a user's program builds one."""
        return local_session().client(service, endpoint_url=self.endpoint)

    def queue_url(self) -> str:
        """The order queue's URL as SQS gives it to a caller of this endpoint."""
        name = self.stack.resources.queue_url.rsplit("/", 1)[1]
        url: str = self.client("sqs").get_queue_url(QueueName=name)["QueueUrl"]
        return url


def serve_until_interrupted(server: LocalServer, on_error: Callable[[str], None]) -> None:
    """Block until Ctrl-C (KeyboardInterrupt), reporting each new poller error as it appears."""
    shown = 0
    while True:
        time.sleep(0.5)
        for error in server.poller_errors[shown:]:
            on_error(error)
        shown = len(server.poller_errors)
