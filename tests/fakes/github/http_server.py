"""The fake GitHub on the wire: a threaded HTTP/1.1 server on 127.0.0.1 that hands each request
to FakeGitHub.handle and writes back its reply."""

from __future__ import annotations

import json
import sys
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .server import FakeGitHub

# What reading or answering a client that hung up raises (gh killed, or stopped by a timeout
# while its request hung): nobody is left to answer, so it is no fault of the fake's.
_HUNG_UP = (BrokenPipeError, ConnectionResetError)


class Server(ThreadingHTTPServer):
    daemon_threads = True  # stop() does not wait for a request still hanging

    def __init__(self, fake: FakeGitHub) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake

    def handle_error(self, request: Any, client_address: Any) -> None:
        """What socketserver calls, inside its `except`, for an exception out of a handler:
        a client that hung up is let go quietly; anything else is a fake bug, kept in
        `server_errors` for the test (and printed, as socketserver does)."""
        if isinstance(sys.exc_info()[1], _HUNG_UP):
            return
        self.fake._record_server_error(traceback.format_exc())
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as gh expects
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall
    server: Server

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        reply = self.server.fake.handle(self.command, self.path, dict(self.headers.items()), body)
        if reply.status == 0:
            self.close_connection = True
            return
        text = isinstance(reply.body, bytes)  # a log, served as GitHub's storage serves it
        payload = (
            reply.body if isinstance(reply.body, bytes)
            else b"" if reply.body is None
            else json.dumps(reply.body, separators=(",", ":")).encode()
        )  # fmt: skip
        self.send_response(reply.status)
        kind = "text/plain" if text else "application/json"
        self.send_header("Content-Type", f"{kind}; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

    def do_CONNECT(self) -> None:
        fake = self.server.fake
        with fake._lock:
            fake.requests.append(f"CONNECT {self.path}")
        self.send_response(403)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass
