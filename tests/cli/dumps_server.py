"""A loopback stand-in for dumps.wikimedia.org: static files, md5sums.txt, Range, and injected faults.

Faults are queued per path and consumed one per request:
  "503"      answer 503 Service Unavailable (with Retry-After: ``retry_after``, "0" by default)
  "404"/"403" answer that status
  "drop"     read the request, then hang up without answering (a broken connection)
  "truncate" send the headers with the full Content-Length, then only half the body, then hang up
  "corrupt"  send a body with one byte flipped (the checksum will not match)
  "stall"    send half the body, then go silent for ``stall_seconds`` (or until the server
             stops) before hanging up
The server records every request (path, Range, User-Agent, arrival time), the highest number
of requests in flight at once, and the highest number of dump-file downloads (.gz) in flight.
"""

from __future__ import annotations

import hashlib
import sys
import threading
import time
from collections import defaultdict, deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import NamedTuple


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # Clients hang up mid-answer on purpose here (timeouts, retries): not worth a traceback.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class Request(NamedTuple):
    path: str
    range: str | None
    user_agent: str | None
    at: float  # time.monotonic() on arrival


class DumpsServer:
    def __init__(self, *, delay: float = 0.0, support_range: bool = True, range_from: int | None = None):
        self.files: dict[str, bytes] = {}
        self.folders: set[str] = set()
        self.md5_overrides: dict[str, str] = {}
        self.faults: dict[str, deque] = defaultdict(deque)
        self.delay = delay
        self.stall_seconds = 1.0
        self.retry_after = "0"
        self.support_range = support_range
        # Bad servers: answer Range requests from another byte, or without Content-Range.
        self.range_from = range_from
        self.send_content_range = True
        self.requests: list[Request] = []
        # Set by stop(): releases stalled handlers, so a long stall never outlives its test.
        self._stopping = threading.Event()
        self.in_flight = 0
        self.max_in_flight = 0
        self.downloads_in_flight = 0
        self.max_downloads_in_flight = 0
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def add_month(self, folder: str, files: dict[str, bytes]) -> None:
        """Serve ``files`` under ``/<folder>/`` with an md5sums.txt listing them."""
        for name, body in files.items():
            self.files[f"/{folder}/{name}"] = body
        self.folders.add(folder)

    def md5sums(self, folder: str) -> bytes:
        lines = []
        for path, body in sorted(self.files.items()):
            if path.startswith(f"/{folder}/"):
                name = path.rsplit("/", 1)[1]
                md5 = self.md5_overrides.get(name, hashlib.md5(body).hexdigest())
                lines.append(f"{md5}  {name}\n")
        return "".join(lines).encode()

    def gets(self, suffix: str = ".gz") -> list[Request]:
        return [r for r in self.requests if r.path.endswith(suffix)]

    def start(self) -> DumpsServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                download = int(self.path.endswith(".gz"))
                with server._lock:
                    server.requests.append(
                        Request(self.path, self.headers.get("Range"), self.headers.get("User-Agent"), time.monotonic())
                    )
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                    server.downloads_in_flight += download
                    server.max_downloads_in_flight = max(server.max_downloads_in_flight, server.downloads_in_flight)
                self._download = download
                self._ended = False
                try:
                    self._answer()
                finally:
                    self._end()

            def _end(self):
                """Count this request as ended (once). Called before the body's last byte is sent, so
                a client that has the whole body can never start its next download before this
                request stops counting, however late this thread is scheduled."""
                if self._ended:
                    return
                self._ended = True
                with server._lock:
                    server.in_flight -= 1
                    server.downloads_in_flight -= self._download

            def _answer(self):
                if server.delay:
                    time.sleep(server.delay)
                body = self._body()
                if body is None:
                    return self._send(404, b"not found")
                fault = server.faults[self.path].popleft() if server.faults[self.path] else None
                if fault == "503":
                    return self._send(503, b"busy", {"Retry-After": server.retry_after})
                if fault in ("404", "403"):
                    return self._send(int(fault), b"no")
                if fault == "drop":
                    self.close_connection = True
                    return
                if fault == "corrupt":
                    body = bytes([body[0] ^ 0xFF]) + body[1:]
                status, headers, start = 200, {}, 0
                range_header = self.headers.get("Range")
                if range_header and server.support_range:
                    start = int(range_header.removeprefix("bytes=").split("-")[0])
                    if server.range_from is not None:
                        start = server.range_from
                    status = 206
                    if server.send_content_range:
                        headers["Content-Range"] = f"bytes {start}-{len(body) - 1}/{len(body)}"
                payload = body[start:]
                if fault in ("truncate", "stall"):
                    self.send_response(status)
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload[: len(payload) // 2])
                    self.wfile.flush()
                    if fault == "stall":
                        server._stopping.wait(server.stall_seconds)
                    self.close_connection = True
                    return
                self._send(status, payload, headers)

            def _body(self) -> bytes | None:
                if self.path.endswith("/md5sums.txt"):
                    folder = self.path[1:].rsplit("/", 1)[0]
                    return server.md5sums(folder) if folder in server.folders else None
                return server.files.get(self.path)

            def _send(self, status: int, body: bytes, headers: dict | None = None):
                self.send_response(status)
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[:-1])
                self.wfile.flush()
                self._end()
                self.wfile.write(body[-1:])

        return Handler
