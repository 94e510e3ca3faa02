"""Real PostgreSQL and Redis servers, started on loopback for one test run and then stopped.

`make test` installs Debian's packages; these functions only start what is installed and
raise `ServiceFailed` with the server's own words when that is not possible.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.servers import free_port


class ServiceFailed(RuntimeError):
    """A server the run needs could not be started."""


def postgres_bin() -> Path:
    """The folder of the newest installed PostgreSQL server's programs (PG_BIN overrides)."""
    if os.environ.get("PG_BIN"):
        return Path(os.environ["PG_BIN"])
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/postgres"),
        key=lambda path: int(path.parent.parent.name) if path.parent.parent.name.isdigit() else 0,
    )
    if not found:
        raise ServiceFailed(
            "PostgreSQL is not installed: `make test` installs Debian's postgresql package "
            "(or set PG_BIN to the folder holding pg_ctl)"
        )
    return found[-1].parent


def _as_owner(folder: Path) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run it as Debian's `postgres` user."""
    if os.geteuid() != 0:
        return []
    try:
        owner = pwd.getpwnam("postgres")
    except KeyError as missing:
        raise ServiceFailed("running as root, and there is no `postgres` user") from missing
    os.chown(folder, owner.pw_uid, owner.pw_gid)
    return ["runuser", "-u", "postgres", "--"]


def _run(command: list[str], what: str, log: Path | None = None) -> None:
    finished = subprocess.run(command, capture_output=True, text=True, timeout=120)  # noqa: S603
    if finished.returncode != 0:
        said = finished.stdout + finished.stderr
        if log and log.exists():
            said += log.read_text()[-3000:]
        raise ServiceFailed(f"{what} failed ({finished.returncode}):\n{said}")


@contextmanager
def postgres_server() -> Iterator[str]:
    """A throwaway PostgreSQL cluster on 127.0.0.1; yields its superuser's URL.

    Durability is turned off (fsync, full-page writes): the cluster lives for one run.
    """
    binaries = postgres_bin()
    # Not under pytest's temporary folder: the `postgres` user must be able to reach it.
    folder = Path(tempfile.mkdtemp(prefix="consultations-pg-"))
    data, log = folder / "data", folder / "server.log"
    port = free_port()
    owner = _as_owner(folder)
    try:
        _run(
            [*owner, str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust"]
            + ["-E", "UTF8", "--locale=C.UTF-8", "--no-sync"],
            "initdb",
        )
        options = (
            f"-h 127.0.0.1 -p {port} -k {folder} -c fsync=off -c full_page_writes=off "
            "-c synchronous_commit=off -c max_connections=300"
        )
        _run(
            [*owner, str(binaries / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60"]
            + ["-o", options, "start"],
            "pg_ctl start",
            log,
        )
        try:
            yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
        finally:
            _run(
                [*owner, str(binaries / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
                "pg_ctl stop",
                log,
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def redis_server() -> Iterator[str]:
    """A redis-server on 127.0.0.1 that keeps nothing on disk; yields its URL."""
    program = shutil.which("redis-server")
    if program is None:
        raise ServiceFailed("redis-server is not installed: `make test` installs it")
    folder = Path(tempfile.mkdtemp(prefix="consultations-redis-"))
    port = free_port()
    process = subprocess.Popen(  # noqa: S603
        [program, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"]
        + ["--dir", str(folder), "--logfile", str(folder / "redis.log")],
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            if process.poll() is not None:
                said = (
                    (folder / "redis.log").read_text()[-2000:]
                    if (folder / "redis.log").exists()
                    else ""
                )
                raise ServiceFailed(f"redis-server exited with {process.returncode}: {said}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as probe:
                    probe.sendall(b"PING\r\n")
                    if probe.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                if time.monotonic() > deadline:
                    raise ServiceFailed("redis-server did not answer within 20 s") from None
                time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(folder, ignore_errors=True)
