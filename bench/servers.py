"""The processes a benchmark run needs: gunicorn, the outbox worker and mail servers."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from contextlib import contextmanager
from email.parser import BytesHeaderParser
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
def outbox_worker(
    env: dict, args: tuple = (), wait_until_started: bool = False, stop_grace: float = 3
):
    """`flask outbox work`, delivering to whatever mail server env names; with
    `wait_until_started`, yielded once it has loaded the app and says it has started.
    On leaving, it is asked to stop, and killed if it has not within `stop_grace` s."""
    process = subprocess.Popen(  # noqa: S603
        [str(BIN / "flask"), "--app", "wsgi", "outbox", "work", *args],
        cwd=PROJECT,
        env=env,
        stdout=subprocess.PIPE if wait_until_started else subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        if wait_until_started:
            said = process.stdout.readline()
            if not said.startswith("Outbox worker started"):
                raise RuntimeError(f"the outbox worker did not start: {said!r}")
            # It says what each round did: read on, so that the pipe never fills.
            threading.Thread(target=process.stdout.read, daemon=True).start()
        yield process
    finally:
        # A worker stuck on a dead mail server is waiting on a socket; don't wait for it.
        _stop(process, grace=stop_grace)


class MailServer:
    """A loopback SMTP server that accepts every message, after `delay` seconds each, and
    keeps the Message-ID of each one it accepted (a resent email shows up twice)."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.port = 0
        self.message_ids: Counter[str] = Counter()

    @property
    def received(self) -> int:
        """Messages accepted so far."""
        return self.message_ids.total()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        if self.delay:
            await asyncio.sleep(self.delay)
        headers = BytesHeaderParser().parsebytes(envelope.original_content or envelope.content)
        self.message_ids[str(headers.get("Message-ID", ""))] += 1
        return "250 Message accepted"


@contextmanager
def mail_server(mode: str):
    """A loopback mail server that answers normally, slowly (2 s a message) or not at all.

    Yields a MailServer: its port, and what it has received so far.
    """
    if mode == "dead":
        # Accepts connections into the backlog and never says a word: a hung server.
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(1024)
        silent = MailServer(delay=0)
        silent.port = listener.getsockname()[1]
        try:
            yield silent
        finally:
            listener.close()
        return
    sink = MailServer(delay=2.0 if mode == "slow" else 0.0)
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    sink.port = controller.port
    try:
        yield sink
    finally:
        controller.stop()


def mail_settings(env: dict, mail: MailServer) -> dict:
    """`env` with the settings that send the site's email to `mail`."""
    return dict(env, MAIL_SERVER="127.0.0.1", MAIL_PORT=str(mail.port), MAIL_TIMEOUT="10")


def worker_pids(master: int) -> list[int]:
    """The gunicorn workers under a master process."""
    children = Path(f"/proc/{master}/task/{master}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []


def _stat(pid: int) -> list[str]:
    """/proc/PID/stat's fields after the command's name: the state first."""
    return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()


def process_state(pid: int) -> str:
    """R running, S sleeping, T stopped, and so on."""
    return _stat(pid)[0]


def cpu_seconds(pid: int) -> float:
    """The CPU time a process has used so far, user and system."""
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _workers_cpu_seconds(masters: list[int]) -> float:
    return sum(cpu_seconds(pid) for master in masters for pid in worker_pids(master))


def wait_until_idle(masters: list[int], limit: float = 60, window: float = 0.5) -> bool:
    """Wait until the workers of these gunicorn masters have used under a twentieth of a
    core for `window` seconds: the requests a load generator left under way when it
    stopped have been answered. Whether they were idle within `limit` seconds."""
    deadline = time.monotonic() + limit
    before = _workers_cpu_seconds(masters)
    while time.monotonic() < deadline:
        time.sleep(window)
        now = _workers_cpu_seconds(masters)
        if now - before < window / 20:
            return True
        before = now
    return False


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
