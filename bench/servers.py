"""The processes a benchmark run needs: gunicorn, the outbox worker and mail servers."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from aiosmtpd.controller import Controller

PROJECT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

# The settings the README recommends live in gunicorn.conf.py; both apps are served by them.
GUNICORN_CONFIG = PROJECT / "gunicorn.conf.py"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(url: str, process: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310 (loopback)
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"no answer from {url} within {seconds} s")


def _stop(process: subprocess.Popen, grace: float = 15) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def gunicorn(app: str, env: dict, chdir: Path = PROJECT, health: str = "/", args: tuple = ()):
    """Serve `app` with the recommended settings on a free loopback port; yield (url, pid).

    `args` are more command-line options, which win over the settings file.
    """
    port = free_port()
    process = subprocess.Popen(  # noqa: S603
        [
            str(BIN / "gunicorn"),
            "--config",
            str(GUNICORN_CONFIG),
            "--chdir",
            str(chdir),
            "--bind",
            f"127.0.0.1:{port}",
            *args,
            app,
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for(url + health, process)
        yield url, process.pid
    finally:
        _stop(process)
        with process.stderr:
            errors = process.stderr.read()
        if "Traceback" in errors or "Error" in errors:
            print(errors[-3000:], file=sys.stderr)


def flask(env: dict, *args: str) -> None:
    """Run a `flask` command of the site to its end."""
    subprocess.run(  # noqa: S603
        [str(BIN / "flask"), "--app", "wsgi", *args],
        cwd=PROJECT,
        env=env,
        check=True,
        capture_output=True,
    )


@contextmanager
def outbox_worker(env: dict, args: tuple = ()):
    """`flask outbox work`, delivering to whatever mail server env names."""
    process = subprocess.Popen(  # noqa: S603
        [str(BIN / "flask"), "--app", "wsgi", "outbox", "work", *args],
        cwd=PROJECT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        # A worker stuck on a dead mail server is waiting on a socket; don't wait for it.
        _stop(process, grace=3)


class _Sink:
    """An SMTP server that accepts every message, after `delay` seconds each."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.received = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        if self.delay:
            await asyncio.sleep(self.delay)
        self.received += 1
        return "250 Message accepted"


@contextmanager
def mail_server(mode: str):
    """A loopback mail server that answers normally, slowly (2 s a message) or not at all.

    Yields (port, count of messages received so far as a callable).
    """
    if mode == "dead":
        # Accepts connections into the backlog and never says a word: a hung server.
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(1024)
        try:
            yield listener.getsockname()[1], lambda: 0
        finally:
            listener.close()
        return
    sink = _Sink(delay=2.0 if mode == "slow" else 0.0)
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port, lambda: sink.received
    finally:
        controller.stop()


def worker_pids(master: int) -> list[int]:
    """The gunicorn workers under a master process."""
    children = Path(f"/proc/{master}/task/{master}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []


def memory_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak) of a process, in bytes."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in {"VmRSS", "VmHWM"}:
            values[key] = int(rest.split()[0]) * 1024
    return values


def reset_peak(pid: int) -> bool:
    """Reset a process's peak memory (VmHWM) so the next reading is this step's own."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def environment(**settings: str) -> dict:
    """This process's environment with the given settings added."""
    env = dict(os.environ)
    env.update(settings)
    return env
