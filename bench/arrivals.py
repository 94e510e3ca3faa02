"""Journeys that arrive on a timetable, an open loop: `python -m bench.arrivals`.

    python -m bench.arrivals URL START_PATH FINISH_MARKER --per-s 30 --seconds 300

The k-th journey is due at the start plus k / rate, whether or not earlier ones have
finished: a slow site makes journeys overlap, never arrive later. Each journey walks the
form as bench/lua/journey.lua does (GET the form, fill every field, POST, follow each
redirect, up to the page whose path holds FINISH_MARKER), and each of its requests opens
its own connection when it is sent, as gunicorn's sync workers close every connection.

Why not wrk: its delay() waits on a connection already open, and a sync worker that
accepts that connection waits for its request, so idle connections hold the workers and
journeys start late (docs/performance.md). Prints one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import json
import re
import resource
import sys
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field

# The form walk of bench/lua/journey.lua: the same fields, filled with the same words.
FORM = re.compile(r'(<form[^>]*?method="post"[^>]*>)(.*?)</form>', re.S)
INPUT = re.compile(r"<input[^>]*>")
TEXTAREA = re.compile(r"<textarea[^>]*>")
BUTTON = re.compile(r"<button[^>]*>")
TYPED = {
    "email": "bench@example.org",
    "tel": "020 7946 0000",
    "number": "1",
    "text": "Bench respondent",
}
REDIRECTS = {301, 302, 303, 307, 308}
# No journey of this site takes more requests; one that does is going round in circles.
MOST_STEPS = 40
# Time to see the first journey's start scheduled before it is due.
LEAD_S = 0.2


def _attribute(tag: str, name: str) -> str | None:
    found = re.search(rf'\s{name}="([^"]*)"', tag)
    return html.unescape(found.group(1)) if found else None


def fill(page: str) -> tuple[str, bytes] | None:
    """The first POST form on the page, filled in as a respondent would: (action, body)."""
    found = FORM.search(page)
    if found is None:
        return None
    opening, inside = found.groups()
    fields: list[tuple[str, str]] = []
    chosen: set[str] = set()
    for tag in INPUT.findall(inside):
        kind, name = _attribute(tag, "type") or "text", _attribute(tag, "name")
        if name is None or kind == "file":
            continue
        if kind == "hidden":
            fields.append((name, _attribute(tag, "value") or ""))
        elif kind in ("radio", "checkbox"):
            if name not in chosen:
                chosen.add(name)
                fields.append((name, _attribute(tag, "value") or "on"))
        elif name != "website" and not name.endswith("_other"):
            fields.append((name, TYPED.get(kind, TYPED["text"])))
    for tag in TEXTAREA.findall(inside):
        fields.append((_attribute(tag, "name") or "", "Written for the benchmark."))
    button = BUTTON.search(inside)
    if button and (name := _attribute(button.group(0), "name")):
        fields.append((name, _attribute(button.group(0), "value") or ""))
    return _attribute(opening, "action") or "", urllib.parse.urlencode(fields).encode()


@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key == name), None)


async def _chunks(reader: asyncio.StreamReader) -> bytes:
    """A body sent with Transfer-Encoding: chunked."""
    pieces = []
    while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
        pieces.append(await reader.readexactly(size))
        await reader.readexactly(2)
    await reader.readuntil(b"\r\n")
    return b"".join(pieces)


async def fetch(
    host: str, port: int, method: str, path: str, cookie: str | None, body: bytes
) -> Answer:
    """One HTTP/1.1 request on a connection of its own, read to the end of its body."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: close"]
        if cookie:
            lines.append(f"Cookie: {cookie}")
        if method == "POST":
            lines.append("Content-Type: application/x-www-form-urlencoded")
            lines.append(f"Content-Length: {len(body)}")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        await writer.drain()
        status_line, *header_lines = (
            (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").strip().split("\r\n")
        )
        headers = [
            (key.strip().lower(), value.strip())
            for key, _, value in (line.partition(":") for line in header_lines)
        ]
        answer = Answer(int(status_line.split()[1]), headers, b"")
        length = answer.header("content-length")
        if length is not None:
            answer.body = await reader.readexactly(int(length))
        elif "chunked" in (answer.header("transfer-encoding") or "").lower():
            answer.body = await _chunks(reader)
        else:
            answer.body = await reader.read()
        return answer
    finally:
        writer.close()


@dataclass
class Tally:
    """What the journeys did, in seconds."""

    start_lateness: list[float] = field(default_factory=list)
    journeys: list[float] = field(default_factory=list)
    sends: list[float] = field(default_factory=list)
    steps: list[int] = field(default_factory=list)
    failures: Counter[str] = field(default_factory=Counter)
    requests: int = 0
    in_flight: int = 0
    most_in_flight: int = 0
    last_start: float = 0.0


def _path_only(path: str) -> str:
    return path.partition("?")[0]


async def journey(site: tuple[str, int], slot: float, start: str, finish: str, tally: Tally):
    """One respondent's journey, due at `slot`; its time is counted from `slot`."""
    loop = asyncio.get_running_loop()
    tally.last_start = loop.time()
    tally.start_lateness.append(tally.last_start - slot)
    tally.in_flight += 1
    tally.most_in_flight = max(tally.most_in_flight, tally.in_flight)
    try:
        await _walk(site, slot, start, finish, tally, loop)
    finally:
        tally.in_flight -= 1


async def _walk(site, slot, start, finish, tally: Tally, loop) -> None:
    cookie, method, path, body = None, "GET", start, b""
    for step in range(1, MOST_STEPS + 1):
        sent_at = loop.time()
        try:
            answer = await fetch(*site, method, path, cookie, body)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            tally.failures[f"no answer at {_path_only(path)}"] += 1
            return
        tally.requests += 1
        for key, value in answer.headers:
            if key == "set-cookie" and value.startswith("session="):
                cookie = value.partition(";")[0]
        if answer.status in REDIRECTS:
            location = re.sub(r"^https?://[^/]+", "", answer.header("location") or "")
            if method == "POST" and finish in location:
                tally.sends.append(loop.time() - sent_at)
            method, path, body = "GET", location, b""
        elif answer.status == 200 and finish in path:
            tally.journeys.append(loop.time() - slot)
            tally.steps.append(step)
            return
        elif answer.status == 200:
            form = fill(answer.body.decode("utf-8", "replace"))
            if form is None:
                tally.failures[f"no form at {_path_only(path)}"] += 1
                return
            method, (path, body) = "POST", form
        else:
            tally.failures[f"HTTP {answer.status} at {_path_only(path)}"] += 1
            return
    tally.failures[f"more than {MOST_STEPS} requests"] += 1


async def _timed_journey(site, slot, start, finish, tally: Tally, timeout: float) -> None:
    try:
        async with asyncio.timeout(timeout):
            await journey(site, slot, start, finish, tally)
    except TimeoutError:
        tally.failures[f"unfinished after {timeout:g} s"] += 1


async def arrive(
    url: str, start: str, finish: str, per_s: float, seconds: float, timeout: float
) -> dict:
    """Start round(per_s * seconds) journeys on their timetable; wait for every one."""
    parts = urllib.parse.urlsplit(url)
    site = (parts.hostname, parts.port or 80)
    loop = asyncio.get_running_loop()
    due = round(per_s * seconds)
    first_slot = loop.time() + LEAD_S
    tally, running = Tally(), []
    for k in range(due):
        slot = first_slot + k / per_s
        if (wait := slot - loop.time()) > 0:
            await asyncio.sleep(wait)
        running.append(
            asyncio.create_task(_timed_journey(site, slot, start, finish, tally, timeout))
        )
    await asyncio.gather(*running)
    # Arrivals over the time they took, counting the last one's own share of it.
    span = tally.last_start - first_slot + 1 / per_s
    return {
        "due": due,
        "started": len(tally.start_lateness),
        "achieved_per_s": len(tally.start_lateness) / span if running else 0.0,
        "duration_s": loop.time() - first_slot,
        "start_lateness": tally.start_lateness,
        "journeys": tally.journeys,
        "sends": tally.sends,
        "steps": tally.steps,
        "failures": dict(tally.failures),
        "requests": tally.requests,
        "most_in_flight": tally.most_in_flight,
    }


def _allow_many_connections() -> None:
    """An overloaded site leaves many journeys waiting, each with a connection open."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 65536 if hard == resource.RLIM_INFINITY else hard
    resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def main() -> None:
    _allow_many_connections()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("start_path")
    parser.add_argument("finish_marker")
    parser.add_argument("--per-s", type=float, required=True, help="journeys arriving a second")
    parser.add_argument("--seconds", type=float, required=True, help="how long they arrive")
    parser.add_argument("--timeout", type=float, default=60, help="longest a journey may take")
    options = parser.parse_args()
    figures = asyncio.run(
        arrive(
            options.url,
            options.start_path,
            options.finish_marker,
            options.per_s,
            options.seconds,
            options.timeout,
        )
    )
    print("BENCH_JSON " + json.dumps(figures))


if __name__ == "__main__":
    sys.exit(main())
