"""The preview's connections: each request is read whole in one selector thread, then answered by a few workers.

A client that sends its request slowly (a byte a second, or nothing) costs a place in the selector, not a thread,
and is closed once REQUEST_SECONDS pass without a whole request; a kept-alive connection that goes quiet is
closed after IDLE_SECONDS. Requests are answered by at most MAX_WORKERS threads, and at most MAX_STREAMS
event streams (one per open preview page) run at once, so no number of connections grows the thread count.
"""

from __future__ import annotations

import contextlib
import queue
import re
import selectors
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

MAX_WORKERS = 8
MAX_STREAMS = 8
REQUEST_SECONDS = 10.0  # the longest a client may take to send one whole request
IDLE_SECONDS = 15.0  # how long a kept-alive connection may wait for its next request
SEND_SECONDS = 30.0  # the longest one send to a client may block
MAX_REQUEST_BYTES = 64 * 1024
_HEAD_END = re.compile(rb"\r?\n\r?\n")
_LENGTH = re.compile(rb"(?im)^content-length[ \t]*:[ \t]*(\d{1,9})[ \t]*\r?$")
_BUSY = (b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 24\r\n"
         b"Connection: close\r\nRetry-After: 1\r\n\r\ntoo many preview pages\r\n")
_TOO_LARGE = (b"HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")


@dataclass
class _Waiting:
    """A connection whose next request has not arrived whole yet."""

    sock: socket.socket
    address: Any
    deadline: float
    idle: bool = False  # kept alive after a response: no byte of the next request yet
    data: bytearray = field(default_factory=bytearray)


def request_size(data: bytes | bytearray) -> int | None:
    """Return the length of the first whole request in data (head and body), or None until it has arrived."""
    end = _HEAD_END.search(data)
    if end is None:
        return None
    length = _LENGTH.search(data, 0, end.start() + 2)
    total = end.end() + (int(length.group(1)) if length else 0)
    return total if len(data) >= total else None


class _Writer:
    """The response side of a connection: every write is sent whole."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock

    def write(self, data: bytes) -> int:
        """Send all of data."""
        self._sock.sendall(data)
        return len(data)

    def flush(self) -> None:
        """Nothing is buffered."""


class BoundedHTTPServer:
    """Listen, gather whole requests without a thread per connection, and answer them on a bounded pool."""

    def __init__(self, address: tuple[str, int], handle: Callable[..., bool], family: int) -> None:
        self.address_family = family
        self.socket = socket.socket(family, socket.SOCK_STREAM)
        try:
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)  # `::` takes IPv4 too
            self.socket.bind(address)
            self.socket.listen(128)
        except OSError:
            self.socket.close()
            raise
        self.socket.setblocking(False)
        self.server_address = self.socket.getsockname()[:2]
        self._handle = handle  # (sock, address, request bytes) -> keep the connection open?
        self._pool = ThreadPoolExecutor(MAX_WORKERS, thread_name_prefix="preview-worker")
        self._streams = threading.BoundedSemaphore(MAX_STREAMS)
        self._selector = selectors.DefaultSelector()
        self._returned: queue.SimpleQueue[tuple[socket.socket, Any, bytes]] = queue.SimpleQueue()
        self._wake_in, self._wake_out = socket.socketpair()
        self._waiting: dict[socket.socket, _Waiting] = {}
        self._stop = threading.Event()
        self._stopped = threading.Event()

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        """Accept and read requests until shutdown()."""
        self._selector.register(self.socket, selectors.EVENT_READ)
        self._selector.register(self._wake_in, selectors.EVENT_READ)
        try:
            while not self._stop.is_set():
                for key, _ in self._selector.select(timeout=min(poll_interval, 0.25)):
                    if key.fileobj is self.socket:
                        self._accept()
                    elif key.fileobj is self._wake_in:
                        with contextlib.suppress(OSError):
                            self._wake_in.recv(4096)
                    else:
                        self._read(key.data)
                self._take_back()
                self._expire()
        finally:
            for waiting in list(self._waiting.values()):
                self._close(waiting)
            self._stopped.set()

    def shutdown(self) -> None:
        """Stop serve_forever() and wait for it."""
        self._stop.set()
        with contextlib.suppress(OSError):
            self._wake_out.send(b"x")
        self._stopped.wait(5.0)

    def server_close(self) -> None:
        """Close the listening socket and stop the workers (they end with their current request)."""
        self._pool.shutdown(wait=False, cancel_futures=True)
        for item in (self.socket, self._wake_in, self._wake_out):
            item.close()
        self._selector.close()

    def _accept(self) -> None:
        """Take every connection waiting to be accepted."""
        while True:
            try:
                sock, address = self.socket.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # out of file descriptors and the like: try again on the next round
                return
            sock.setblocking(False)
            waiting = _Waiting(sock, address, time.monotonic() + REQUEST_SECONDS)
            self._waiting[sock] = waiting
            self._selector.register(sock, selectors.EVENT_READ, waiting)

    def _read(self, waiting: _Waiting) -> None:
        """Read what a connection sent; hand its request over once it is whole."""
        try:
            data = waiting.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self._close(waiting)
            return
        if waiting.idle:
            waiting.idle = False
            waiting.deadline = time.monotonic() + REQUEST_SECONDS
        waiting.data += data
        self._maybe_dispatch(waiting)

    def _maybe_dispatch(self, waiting: _Waiting) -> None:
        """Hand a whole request to a worker (or an event stream to its own thread); refuse an oversized one."""
        size = request_size(waiting.data)
        if size is None:
            if len(waiting.data) > MAX_REQUEST_BYTES:
                self._refuse(waiting, _TOO_LARGE)
            return
        self._selector.unregister(waiting.sock)
        del self._waiting[waiting.sock]
        request, rest = bytes(waiting.data[:size]), bytes(waiting.data[size:])
        sock = waiting.sock
        sock.setblocking(True)
        sock.settimeout(SEND_SECONDS)
        if request.startswith(b"GET /events"):
            if not self._streams.acquire(blocking=False):
                self._pool.submit(self._send_and_close, sock, _BUSY)
                return
            threading.Thread(target=self._stream, args=(sock, waiting.address, request), daemon=True,
                             name="preview-events").start()
            return
        try:
            self._pool.submit(self._answer, sock, waiting.address, request, rest)
        except RuntimeError:  # shutting down
            sock.close()

    def _answer(self, sock: socket.socket, address: Any, request: bytes, rest: bytes) -> None:
        """Answer one request on a worker; give a kept-alive connection back to the selector."""
        keep = False
        try:
            keep = self._handle(sock, address, request)
        except OSError:
            keep = False
        if keep and not self._stop.is_set():
            self._returned.put((sock, address, rest))
            with contextlib.suppress(OSError):
                self._wake_out.send(b"x")
        else:
            sock.close()

    def _stream(self, sock: socket.socket, address: Any, request: bytes) -> None:
        """Run one event stream in its own thread, then close it and free its place."""
        try:
            with contextlib.suppress(OSError):
                self._handle(sock, address, request)
        finally:
            sock.close()
            self._streams.release()

    def _take_back(self) -> None:
        """Register the connections workers kept alive, waiting for their next request."""
        while True:
            try:
                sock, address, rest = self._returned.get_nowait()
            except queue.Empty:
                return
            try:
                sock.setblocking(False)
            except OSError:
                sock.close()
                continue
            waiting = _Waiting(sock, address, time.monotonic() + (REQUEST_SECONDS if rest else IDLE_SECONDS),
                               idle=not rest, data=bytearray(rest))
            self._waiting[sock] = waiting
            self._selector.register(sock, selectors.EVENT_READ, waiting)
            if rest:
                self._maybe_dispatch(waiting)

    def _expire(self) -> None:
        """Close connections whose request did not arrive in time, or that stayed idle too long."""
        now = time.monotonic()
        for waiting in [w for w in self._waiting.values() if w.deadline < now]:
            self._close(waiting)

    def _refuse(self, waiting: _Waiting, response: bytes) -> None:
        """Send a short error (without waiting for a slow reader) and close."""
        with contextlib.suppress(OSError):
            waiting.sock.send(response)
        self._close(waiting)

    def _send_and_close(self, sock: socket.socket, response: bytes) -> None:
        """Send a short response from a worker and close the connection."""
        with contextlib.suppress(OSError):
            sock.sendall(response)
        sock.close()

    def _close(self, waiting: _Waiting) -> None:
        """Forget a waiting connection and close it."""
        self._waiting.pop(waiting.sock, None)
        with contextlib.suppress(KeyError, ValueError, OSError):
            self._selector.unregister(waiting.sock)
        waiting.sock.close()


def writer(sock: socket.socket) -> _Writer:
    """Return the response side of a connection for a request handler."""
    return _Writer(sock)
