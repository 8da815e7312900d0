"""A real HTTP server on 127.0.0.1 serving a MAST-layout folder, with faults on demand.

Faults are queued per path and consumed one per request, so a test can say "the first GET of
this file gets a 503, the second a truncated body, the third succeeds". Kinds:

- ``"500"``, ``"503"``, ``"403"``, ``"404"``: that status with a short body;
- ``"429"`` or ``"429:S"`` / ``"503:S"``: that status with ``Retry-After: S`` (default 1);
- ``"truncate"``: the right headers (full Content-Length), half the body, then the
  connection closes;
- ``"flip"``: the full body with one byte inverted in the middle of the file (inside the
  LIGHTCURVE table's data), so only a checksum can tell;
- ``"reset"``: the connection is reset (TCP RST) before any response;
- ``"stall"``: headers and a first chunk, then silence for ``stall_seconds``.

Folder URLs (every folder above a file too, as Apache lists them) get an Apache-style listing
of their files and subfolders (unless ``listings=False``: then 403, or with
``folder_status=404`` 404, as a server without autoindex may answer). Every request is
logged with its arrival time, path and what was done. ``latency`` delays every response.

The whole server can go down and come back (`go_down`, `come_back`): ``"refuse"`` closes the
listening socket (connections refused) and resets every kept-alive connection at its next
request; ``"503"`` answers every request with 503; ``"503-files"`` answers 503 for files only
(listings and the root still answer). Used by the tests and by bench/bench_fetch.py.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@dataclass(frozen=True)
class Request:
    time: float
    path: str
    action: str


class FaultServer:
    def __init__(self, root: Path, latency: float = 0.0, listings: bool = True,
                 stall_seconds: float = 3.0, folder_status: int = 403) -> None:
        self.root = Path(root)
        self.latency = latency
        self.listings = listings
        self.folder_status = folder_status
        #: None while the server is up, else how it is down ("refuse" or "503").
        self.down: str | None = None
        self._address: tuple[str, int] = ("127.0.0.1", 0)
        self.stall_seconds = stall_seconds
        self.files = {
            path.relative_to(self.root).as_posix(): path.read_bytes()
            for path in self.root.rglob("*.fits")
        }
        self.folders = {
            "/".join(name.split("/")[:depth]) + "/"
            for name in self.files for depth in range(1, name.count("/") + 1)
        }
        self._faults: dict[str, deque[str]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._released = threading.Event()  # set on stop: stalled handlers give up
        self.requests: list[Request] = []
        self.active = 0
        self.max_active = 0  # most requests being answered at the same time
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- control ------------------------------------------------------------------------------

    def inject(self, path: str, *faults: str) -> None:
        """Queue faults for the next GETs of ``path`` (relative, e.g. "0119/011904151/x.fits")."""
        with self._lock:
            self._faults[path.lstrip("/")].extend(faults)

    def requests_for(self, path: str) -> list[Request]:
        with self._lock:
            return [request for request in self.requests if request.path == path.lstrip("/")]

    @property
    def url(self) -> str:
        host, port = self._address
        return f"http://{host}:{port}/"

    def start(self) -> FaultServer:
        handler = type("Handler", (_Handler,), {"owner": self})
        server = ThreadingHTTPServer(self._address, handler)  # allow_reuse_address is set
        server.daemon_threads = True
        server.block_on_close = False
        self._server = server
        self._address = server.server_address[:2]
        self._thread = threading.Thread(target=server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def _close_listener(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def go_down(self, mode: str = "refuse") -> None:
        """The archive goes away: "refuse" (connections refused or reset) or "503"."""
        if mode not in ("refuse", "503", "503-files"):
            raise ValueError(f"unknown outage mode {mode!r}")
        with self._lock:
            self.down = mode
        if mode == "refuse":
            self._close_listener()

    def come_back(self) -> None:
        """The archive answers again, on the same address."""
        with self._lock:
            mode, self.down = self.down, None
        if mode == "refuse":
            self.start()

    def stop(self) -> None:
        self._released.set()
        self._close_listener()

    def __enter__(self) -> FaultServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    # -- used by the handler ------------------------------------------------------------------

    def _next_fault(self, path: str) -> str | None:
        with self._lock:
            queue = self._faults.get(path)
            return queue.popleft() if queue else None

    def _log(self, path: str, action: str, arrived: float) -> None:
        with self._lock:
            self.requests.append(Request(arrived, path, action))

    def _listing(self, folder: str) -> bytes:
        names = sorted(name.rsplit("/", 1)[1] for name in self.files
                       if name.startswith(folder) and "/" not in name[len(folder):])
        subfolders = sorted({name[len(folder):].split("/", 1)[0] + "/" for name in self.folders
                             if name.startswith(folder) and name != folder})
        rows = "".join(f'<tr><td><a href="{name}">{name}</a></td><td>-</td></tr>\n'
                       for name in subfolders)
        rows += "".join(f'<tr><td><a href="{name}">{name}</a></td><td>466K</td></tr>\n'
                        for name in names)
        return (f"<html><head><title>Index of /{folder}</title></head><body>"
                f"<h1>Index of /{folder}</h1><table>\n"
                f'<tr><td><a href="../">Parent Directory</a></td></tr>\n{rows}'
                "</table></body></html>").encode()


class _Handler(BaseHTTPRequestHandler):
    owner: FaultServer
    protocol_version = "HTTP/1.1"  # keep-alive: the client reuses connections

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet tests
        return

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - name fixed by http.server
        owner = self.owner
        with owner._lock:
            owner.active += 1
            owner.max_active = max(owner.max_active, owner.active)
        try:
            self._answer()
        finally:
            with owner._lock:
                owner.active -= 1

    def _answer(self) -> None:
        owner = self.owner
        arrived = time.monotonic()
        path = self.path.split("?", 1)[0].lstrip("/")
        if owner.latency:
            time.sleep(owner.latency)
        down = owner.down
        if down == "503-files" and not path.endswith(".fits"):
            down = None
        if down is not None:  # the archive is away: no fault is consumed
            owner._log(path, f"down:{down}", arrived)
            if down == "refuse":
                self._drop_connection(reset=True)
            else:
                self._send(503, b"Service Unavailable")
            return
        fault = owner._next_fault(path)
        owner._log(path, fault or "serve", arrived)
        body, content_type = self._content(path)
        if fault is None:
            if body is None:
                self._send(404, b"Not Found")
            elif body is _FORBIDDEN:
                self._send(owner.folder_status, b"Forbidden" if owner.folder_status == 403
                           else b"Not Found")
            else:
                self._send(200, body, {"Content-Type": content_type})
            return
        self._apply(fault, body if isinstance(body, bytes) else b"")

    def _content(self, path: str) -> tuple[bytes | object | None, str]:
        owner = self.owner
        if path in owner.files:
            return owner.files[path], "application/fits"
        if path.endswith("/") and path in owner.folders:
            if not owner.listings:
                return _FORBIDDEN, "text/plain"
            return owner._listing(path), "text/html"
        return None, "text/plain"

    def _apply(self, fault: str, body: bytes) -> None:
        kind, _, argument = fault.partition(":")
        if kind in ("429", "503") and (argument or kind == "429"):
            self._send(int(kind), b"Slow down", {"Retry-After": argument or "1"})
        elif kind.isdigit():
            self._send(int(kind), f"fault {kind}".encode())
        elif kind == "truncate":
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self._drop_connection(reset=False)
        elif kind == "flip":
            damaged = bytearray(body)
            damaged[len(damaged) // 2] ^= 0xFF
            self._send(200, bytes(damaged), {"Content-Type": "application/fits"})
        elif kind == "reset":
            self._drop_connection(reset=True)
        elif kind == "stall":
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[:2880])
            self.wfile.flush()
            self.owner._released.wait(self.owner.stall_seconds)
            self._drop_connection(reset=False)
        else:
            raise ValueError(f"unknown fault {fault!r}")

    def _drop_connection(self, reset: bool) -> None:
        if reset:
            # SO_LINGER with a zero time-out makes close() send RST instead of FIN.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
        else:
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
        self.connection.close()
        self.close_connection = True
        # The base class flushes wfile after the request: give it something harmless.
        self.wfile = _NullWriter()


class _NullWriter:
    closed = False

    def close(self) -> None:
        return None

    def write(self, data: bytes) -> int:
        return len(data)

    def flush(self) -> None:
        return None


_FORBIDDEN = object()
