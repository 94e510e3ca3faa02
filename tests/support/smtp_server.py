"""Fixtures for mail servers: a real SMTP server, one that never answers, and none at all.

`smtp_server` runs aiosmtpd on 127.0.0.1 and records every message it accepts, parsed
with the modern email policy, so a test reads back exactly what a mail client would get.
It can be stopped and started again on the same port ("down, then back").
`hanging_smtp_server` accepts TCP connections and never says a word, like a mail server
that has locked up. `smtp_down` is a port with nothing listening on it.

Each fixture points the test app at its server (MAIL_SERVER, MAIL_PORT, MAIL_TIMEOUT).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from flask import Flask

from bench.servers import free_port

HOST = "127.0.0.1"
# Seconds: MAIL_TIMEOUT for tests. A working server answers at once, so this is waited out
# only when the machine is so loaded that the server's thread is not run for a while (2
# seconds was, once, with both passes' browsers busy); the hanging server sets its own.
TIMEOUT = 15


def point_app_at(app: Flask, port: int, timeout: float = TIMEOUT) -> None:
    app.config.update(MAIL_SERVER=HOST, MAIL_PORT=port, MAIL_TIMEOUT=timeout)


@dataclass
class Received:
    """One message the server accepted."""

    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    message: EmailMessage

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])

    @property
    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        assert part is not None, "no text/plain part"
        return part.get_content()

    @property
    def html(self) -> str:
        part = self.message.get_body(preferencelist=("html",))
        assert part is not None, "no text/html part"
        return part.get_content()


@dataclass
class RecordingHandler:
    """An aiosmtpd handler that keeps every message.

    It can be told to hold back its reply to the next few messages (after recording them)
    until `release` is set; `holding` is set while a reply is held back. `delay` makes it
    take that many seconds over each message, as a busy mail server does.
    """

    received: list[Received] = field(default_factory=list)
    delay: float = 0.0
    hold_count: int = 0
    release: threading.Event = field(default_factory=threading.Event)
    holding: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's name)
        content = envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8")
        message = email.message_from_bytes(content, policy=email.policy.default)
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.lock:
            self.received.append(
                Received(
                    mail_from=envelope.mail_from,
                    rcpt_tos=list(envelope.rcpt_tos),
                    raw=content,
                    message=message,
                )
            )
            hold = self.hold_count > 0
            if hold:
                self.hold_count -= 1
        if hold:
            self.holding.set()
            deadline = time.monotonic() + 10
            # Poll, so that the event loop goes on serving other connections meanwhile.
            while not self.release.is_set() and time.monotonic() < deadline:
                await asyncio.sleep(0.005)
            self.holding.clear()
        return "250 Message accepted for delivery"


class SMTPServer:
    """A real SMTP server on a fixed port, which can be stopped and started again."""

    def __init__(self, port: int) -> None:
        self.host = HOST
        self.port = port
        self.handler = RecordingHandler()
        self._controller: Controller | None = None

    @property
    def received(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.received)

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> None:
        assert self._controller is None, "the server is already running"
        controller = Controller(self.handler, hostname=self.host, port=self.port)
        controller.start()
        self._controller = controller

    def hold_next(self, count: int = 1) -> threading.Event:
        """Hold back the reply to the next `count` messages until the returned event is set."""
        with self.handler.lock:
            self.handler.release.clear()
            self.handler.hold_count = count
        return self.handler.release

    def stop(self) -> None:
        self.handler.release.set()  # never leave a sender waiting on a held reply
        if self._controller is not None:
            controller, self._controller = self._controller, None
            controller.stop()

    def message_ids(self) -> list[str]:
        return [message.message_id for message in self.received]

    def to(self, address: str) -> list[Received]:
        """Messages whose envelope includes this recipient."""
        return [m for m in self.received if address.lower() in (r.lower() for r in m.rcpt_tos)]

    def clear(self) -> None:
        with self.handler.lock:
            self.handler.received.clear()


@pytest.fixture
def smtp_server(app: Flask) -> Iterator[SMTPServer]:
    """A running SMTP server the app sends to; stopped after the test."""
    server = SMTPServer(free_port())
    server.start()
    point_app_at(app, server.port)
    try:
        yield server
    finally:
        server.stop()


class HangingServer:
    """Accepts TCP connections and holds them open without ever answering."""

    def __init__(self) -> None:
        self.host = HOST
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind((HOST, 0))
        self._listener.listen(16)
        self._listener.settimeout(0.02)
        self.port = self._listener.getsockname()[1]
        self.connected = threading.Event()
        self._connections: list[socket.socket] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="hanging-smtp", daemon=True)
        self._thread.start()

    @property
    def connections(self) -> int:
        with self._lock:
            return len(self._connections)

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self._connections.append(connection)
            self.connected.set()

    def close(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)
        assert not self._thread.is_alive(), "the hanging server's thread did not stop"
        self._listener.close()
        with self._lock:
            for connection in self._connections:
                connection.close()


@pytest.fixture
def hanging_smtp_server(app: Flask) -> Iterator[HangingServer]:
    """A mail server that accepts connections and never answers; the app's timeout is short."""
    server = HangingServer()
    point_app_at(app, server.port, timeout=0.5)
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def smtp_down(app: Flask) -> int:
    """A port with nothing listening: every connection is refused. Returns the port."""
    port = free_port()
    point_app_at(app, port)
    return port
