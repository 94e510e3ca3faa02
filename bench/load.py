"""Load from a separate process: wrk, for a fixed number of seconds, on loopback."""

from __future__ import annotations

import json
import resource
import shutil
import statistics
import subprocess
import sys
import urllib.request
from pathlib import Path

LUA = Path(__file__).resolve().parent / "lua"
PROJECT = Path(__file__).resolve().parent.parent
# A journey of the open loop that starts this much after its time has started late.
LATE_S = 0.1


def _cpu_seconds_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _generator(command: list[str]) -> dict:
    """The JSON line a load generator prints, plus how many cores it kept busy (it shares
    the machine with the site)."""
    cpu_before = _cpu_seconds_of_children()
    finished = subprocess.run(  # noqa: S603
        command, capture_output=True, text=True, check=True, cwd=PROJECT
    )
    cpu = _cpu_seconds_of_children() - cpu_before
    for line in finished.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            raw = json.loads(line.removeprefix("BENCH_JSON "))
            raw["load_generator_cores"] = cpu / raw["duration_s"]
            return raw
    raise RuntimeError(f"{command[0]} printed no result:\n{finished.stdout}\n{finished.stderr}")


def _wrk(args: list[str]) -> dict:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise RuntimeError("wrk is not installed: run `make bench`, which installs it")
    return _generator([wrk, *args])


def percentiles(values: list[float]) -> dict[str, float]:
    """p50, p95 and p99 of durations in seconds, in milliseconds."""
    if len(values) < 2:
        only = values[0] * 1000 if values else float("nan")
        return {"p50": only, "p95": only, "p99": only}
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {"p50": cuts[49] * 1000, "p95": cuts[94] * 1000, "p99": cuts[98] * 1000}


def get(url: str, seconds: float, connections: int, cookie: str | None = None) -> dict:
    """Requests a second and latency of one URL fetched as a browser would, compressed,
    by a browser with no cookie of the site or with `cookie`."""
    raw = _wrk(
        [
            *(["--header", f"Cookie: {cookie}"] if cookie else []),
            "--threads",
            str(min(2, connections)),
            "--connections",
            str(connections),
            "--duration",
            f"{seconds}s",
            "--timeout",
            "10s",
            "--header",
            "Accept-Encoding: gzip, deflate, br",
            "--script",
            str(LUA / "report.lua"),
            url,
        ]
    )
    return {
        "requests_per_s": raw["requests"] / raw["duration_s"],
        "latency_ms": raw["request_latency_ms"],
        "requests": raw["requests"],
        "errors": raw["socket_errors"] + raw["bad_status"],
        "load_generator_cores": raw["load_generator_cores"],
    }


def journey(
    base_url: str,
    start: str,
    finish: str,
    seconds: float,
    connections: int,
    upload: Path | None = None,
) -> dict:
    """Whole journeys a second, from GET of the first form to the confirmation page.

    One wrk thread per connection, so each journey's requests follow one another.
    """
    args = [
        "--threads",
        str(connections),
        "--connections",
        str(connections),
        "--duration",
        f"{seconds}s",
        "--timeout",
        "30s",
        "--script",
        str(LUA / "journey.lua"),
        base_url,
        "--",
        start,
        finish,
    ]
    if upload is not None:
        args.append(str(upload))
    raw = _wrk(args)
    completed = len(raw["journeys"])
    # Journeys move in step, so counting only finished ones undercounts a short run by
    # up to one journey per connection; requests made, over requests a journey takes,
    # also counts the journeys under way when the time ran out.
    per_journey = statistics.mean(raw["steps"]) if completed else None
    return {
        "journeys_per_s": raw["requests"] / per_journey / raw["duration_s"] if completed else 0.0,
        "journeys": completed,
        "requests_per_journey": per_journey,
        "send_latency_ms": percentiles(raw["sends"]),
        "journey_latency_ms": percentiles(raw["journeys"]),
        "request_latency_ms": raw["request_latency_ms"],
        "failures": raw["failures"],
        "errors": raw["socket_errors"] + sum(raw["failures"].values()),
        "load_generator_cores": raw["load_generator_cores"],
    }


def arrivals(base_url: str, start: str, finish: str, per_s: float, seconds: float) -> dict:
    """Whole journeys arriving at a steady `per_s` for `seconds`, an open loop
    (bench/arrivals.py): however slow the site, each journey starts at its time."""
    raw = _generator(
        [sys.executable, "-m", "bench.arrivals", base_url, start, finish]
        + ["--per-s", str(per_s), "--seconds", str(seconds)]
    )
    lateness = raw["start_lateness"]
    return {
        "arrivals_per_s_asked": per_s,
        "arrivals_per_s_achieved": raw["achieved_per_s"],
        "seconds": seconds,
        "journeys_due": raw["due"],
        "journeys_started": raw["started"],
        "journeys_completed": len(raw["journeys"]),
        "sends_answered": len(raw["sends"]),
        "late_after_ms": LATE_S * 1000,
        "late_starts": sum(1 for late in lateness if late > LATE_S),
        "start_lateness_ms": {
            **percentiles(lateness),
            "max": max(lateness, default=0.0) * 1000,
        },
        "failures": raw["failures"],
        "errors": sum(raw["failures"].values()),
        "send_latency_ms": percentiles(raw["sends"]),
        "journey_latency_ms": percentiles(raw["journeys"]),
        "requests_per_journey": statistics.mean(raw["steps"]) if raw["steps"] else None,
        "requests": raw["requests"],
        "most_journeys_at_once": raw["most_in_flight"],
        "duration_s": raw["duration_s"],
        "load_generator_cores": raw["load_generator_cores"],
    }


def session_cookie(url: str) -> str:
    """The cookie a browser holds after opening `url`, a page that starts a session."""
    with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 (loopback)
        for header in answer.headers.get_all("Set-Cookie") or ():
            if header.startswith("session="):
                return header.split(";", 1)[0]
    raise RuntimeError(f"{url} started no session")
