# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""A fault-injecting TCP proxy for tests: put it between a client and an HTTP service (RGW) on 127.0.0.1 and
make the service misbehave on demand.

    with FaultProxy(("127.0.0.1", rgw_port)) as proxy:
        settings = S3Settings(..., endpoint_url=proxy.endpoint)
        proxy.slowdown(3)          # the next 3 requests get "503 SlowDown" (the service never sees them)
        proxy.reset_after(100_000) # the connection that carries the 100 000th byte from now is reset (RST)
        proxy.refuse_after(100_000) # the service goes away (``refuse``) once 100 000 more bytes went to it
        proxy.stall_after(100_000)  # the same, but it stalls (``stall``) instead
        proxy.refuse()             # the port closes (ECONNREFUSED) and every open connection is reset; heal()
        proxy.stall()              # nothing more flows either way (connections stay open, silent); heal()
        proxy.lose_answer(lambda line: line.startswith("POST "))  # the next such request reaches the service,
                                   # its answer is lost (the connection is reset once the service had time)
        proxy.delay = 0.2          # each request waits this long before it goes on

It reads the client's side as HTTP/1.1 requests (headers, then ``Content-Length`` bytes of body), which is what it
needs to answer one request itself; a chunked request body turns the rest of that connection into a plain pipe. The
service's side is piped as it comes. Counters: ``requests`` (seen), ``injected`` (503s answered), ``resets``,
``sent`` (bytes clients sent to the service).
"""
from __future__ import annotations

import socket
import struct
import threading
import time

_SLOWDOWN = (b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SlowDown</Code>"
             b"<Message>Please reduce your request rate.</Message></Error>")


class FaultProxy:
    def __init__(self, upstream: tuple[str, int], port: int = 0) -> None:
        self.upstream = upstream
        self.delay = 0.0
        self.requests = 0
        self.injected = 0
        self.resets = 0
        self.sent = 0
        self._lock = threading.Lock()
        self._slowdowns = 0
        self._reset_budget: int | None = None
        self._refuse_budget: int | None = None
        self._then_stall = False
        self._lose_answer = None
        self._flowing = threading.Event()
        self._flowing.set()
        self._refusing = False
        self._closed = False
        self._connections: set[socket.socket] = set()
        self._listener = self._listen(port)
        self.port = self._listener.getsockname()[1]
        self._acceptor = threading.Thread(target=self._accept_loop, name="fault-proxy", daemon=True)
        self._acceptor.start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # --- switches ---------------------------------------------------------------------------------------------
    def slowdown(self, count: int) -> None:
        """Answer ``503 SlowDown`` to the next ``count`` requests."""
        with self._lock:
            self._slowdowns = count

    def reset_after(self, nbytes: int) -> None:
        """Reset (RST) the connection carrying the ``nbytes``-th byte sent by clients from now on; once."""
        with self._lock:
            self._reset_budget = nbytes

    def lose_answer(self, matches) -> None:
        """The next request whose request line (``"POST /bucket/key?uploadId=... HTTP/1.1"``) ``matches`` goes to
        the service whole, but its answer never reaches the client: the connection is reset 0.5 s later."""
        with self._lock:
            self._lose_answer = matches

    def refuse_after(self, nbytes: int) -> None:
        """``refuse`` once clients have sent ``nbytes`` more bytes (the service gone in the middle of a transfer)."""
        with self._lock:
            self._refuse_budget, self._then_stall = nbytes, False

    def stall_after(self, nbytes: int) -> None:
        """``stall`` once clients have sent ``nbytes`` more bytes (the service hung in the middle of a transfer)."""
        with self._lock:
            self._refuse_budget, self._then_stall = nbytes, True

    def refuse(self) -> None:
        """The service is gone: the port refuses connections, the open ones are reset."""
        with self._lock:
            self._refusing = True
            listener, self._listener = self._listener, None
            connections = list(self._connections)
        if listener is not None:
            listener.close()
        for connection in connections:
            _reset(connection)

    def stall(self) -> None:
        """Nothing more flows either way until ``heal``; connections stay open."""
        self._flowing.clear()

    def heal(self) -> None:
        """Back to a healthy pipe (listening again on the same port, flowing, no injection pending)."""
        with self._lock:
            self._slowdowns = 0
            self._reset_budget = None
            self._refuse_budget = None
            self._lose_answer = None
            self.delay = 0.0
            if self._refusing:
                self._listener = self._listen(self.port)
                self._refusing = False
        self._flowing.set()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            listener, self._listener = self._listener, None
            connections = list(self._connections)
        if listener is not None:
            listener.close()
        self._flowing.set()
        for connection in connections:
            _reset(connection)
        self._acceptor.join(timeout=5)

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- the pipe ---------------------------------------------------------------------------------------------
    @staticmethod
    def _listen(port: int) -> socket.socket:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen(64)
        listener.settimeout(0.1)
        return listener

    def _accept_loop(self) -> None:
        while not self._closed:
            listener = self._listener
            if listener is None:
                time.sleep(0.05)
                continue
            try:
                client, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            client.settimeout(None)
            threading.Thread(target=self._serve, args=(client,), name="fault-proxy-conn", daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.upstream, timeout=10)
            upstream.settimeout(None)
        except OSError:
            _reset(client)
            return
        with self._lock:
            self._connections.update((client, upstream))
        mute = threading.Event()  # set: what the service answers on this connection is dropped
        back = threading.Thread(target=self._pipe, args=(upstream, client, mute), name="fault-proxy-back",
                                daemon=True)
        back.start()
        try:
            self._forward_requests(client, upstream, mute)
        except OSError:
            pass
        finally:
            for sock in (client, upstream):
                if self._refusing:
                    _reset(sock)
                else:
                    _close(sock)
            with self._lock:
                self._connections.difference_update((client, upstream))

    def _pipe(self, source: socket.socket, target: socket.socket, mute: threading.Event | None = None) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                self._flowing.wait()
                if mute is None or not mute.is_set():
                    target.sendall(data)
        except OSError:
            pass
        finally:
            _close(target)

    def _forward_requests(self, client: socket.socket, upstream: socket.socket, mute: threading.Event) -> None:
        reader = _Reader(client)
        while True:
            head = reader.head()
            if head is None:
                return
            line = head.split(b"\r\n", 1)[0].decode("latin-1")
            with self._lock:
                self.requests += 1
                inject = self._slowdowns > 0
                if inject:
                    self._slowdowns -= 1
                lose = self._lose_answer is not None and self._lose_answer(line)
                if lose:
                    self._lose_answer = None
                    mute.set()
            headers = _headers(head)
            if self.delay:
                time.sleep(self.delay)
            if inject:
                self._answer_slowdown(client, reader, headers)
                return
            if "chunked" in headers.get("transfer-encoding", ""):
                self._send(client, upstream, head + reader.take_buffer())
                self._pipe(client, upstream)
                return
            self._send(client, upstream, head)
            remaining = int(headers.get("content-length") or 0)
            while remaining:
                data = reader.some(remaining)
                if not data:
                    return
                remaining -= len(data)
                self._send(client, upstream, data)
            if lose:
                time.sleep(0.5)  # the service acts on the request; its answer goes nowhere
                _reset(client)
                raise ConnectionResetError("fault proxy: answer lost")

    def _send(self, client: socket.socket, upstream: socket.socket, data: bytes) -> None:
        self._flowing.wait()
        with self._lock:
            self.sent += len(data)
            gone = reset = False
            if self._refuse_budget is not None:
                self._refuse_budget -= len(data)
                gone = self._refuse_budget <= 0
                if gone:
                    self._refuse_budget = None
            keep = len(data)
            if self._reset_budget is not None:
                keep = max(0, self._reset_budget)
                self._reset_budget -= len(data)
                reset = self._reset_budget <= 0
                if reset:
                    self._reset_budget = None
                    self.resets += 1
        if gone and self._then_stall:
            self.stall()
            self._flowing.wait()
        elif gone:
            self.refuse()
            raise ConnectionResetError("fault proxy: refused")
        if reset:
            upstream.sendall(data[:keep])
            _reset(client)
            _reset(upstream)
            raise ConnectionResetError("fault proxy: reset")
        upstream.sendall(data)

    def _answer_slowdown(self, client: socket.socket, reader: _Reader, headers: dict[str, str]) -> None:
        # With "Expect: 100-continue" the client waits for an answer before sending its body: answer now. Without,
        # read the body away first, so the client is not cut off mid-send. Either way the connection then closes.
        if "100-continue" not in headers.get("expect", "").lower():
            remaining = int(headers.get("content-length") or 0)
            while remaining:
                data = reader.some(remaining)
                if not data:
                    break
                remaining -= len(data)
        with self._lock:
            self.injected += 1
        client.sendall(b"HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\nConnection: close\r\n"
                       b"Content-Length: " + str(len(_SLOWDOWN)).encode() + b"\r\n\r\n" + _SLOWDOWN)


class _Reader:
    """Buffered reads of one client socket: request heads, then body bytes."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buffer = b""

    def head(self) -> bytes | None:
        while b"\r\n\r\n" not in self._buffer:
            data = self._sock.recv(65536)
            if not data:
                return None
            self._buffer += data
        end = self._buffer.index(b"\r\n\r\n") + 4
        head, self._buffer = self._buffer[:end], self._buffer[end:]
        return head

    def some(self, limit: int) -> bytes:
        if not self._buffer:
            self._buffer = self._sock.recv(min(limit, 1 << 20))
        data, self._buffer = self._buffer[:limit], self._buffer[limit:]
        return data

    def take_buffer(self) -> bytes:
        data, self._buffer = self._buffer, b""
        return data


def _headers(head: bytes) -> dict[str, str]:
    headers = {}
    for line in head.decode("latin-1").split("\r\n")[1:]:
        if ":" in line:
            key, value = line.split(":", 1)
            headers[key.strip().lower()] = value.strip()
    return headers


def _reset(sock: socket.socket) -> None:
    """Close with an RST (SO_LINGER 0), as a crashed or cut-off peer does."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        # SHUT_RD sends nothing but wakes a thread blocked reading it (close alone would not, and the RST would
        # wait for that read to end).
        sock.shutdown(socket.SHUT_RD)
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass
