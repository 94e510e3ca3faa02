"""The admin side at scale: the responses list and the CSV export, over HTTP."""

from __future__ import annotations

import csv
import http.cookiejar
import io
import re
import statistics
import time
import urllib.parse
import urllib.request

from bench import servers

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def session(
    base_url: str, email: str, password: str, jar: http.cookiejar.CookieJar | None = None
) -> urllib.request.OpenerDirector:
    """An opener signed in to the admin area, keeping its cookies in `jar` if given."""
    jar = jar if jar is not None else http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"{base_url}/admin/login") as page:
        token = CSRF.search(page.read().decode()).group(1)
    form = urllib.parse.urlencode({"email": email, "password": password, "csrf_token": token})
    with opener.open(f"{base_url}/admin/login", data=form.encode()) as page:
        if "/admin/login" in page.url:
            raise RuntimeError("could not sign in to the admin area")
    return opener


def _timed(opener, url: str) -> tuple[float, bytes]:
    """Seconds to the last byte, and the body, read in 64 KB pieces as they stream."""
    started = time.perf_counter()
    pieces = []
    with opener.open(url, timeout=300) as answer:
        while piece := answer.read(65536):
            pieces.append(piece)
    return time.perf_counter() - started, b"".join(pieces)


def measure(base_url: str, master_pid: int, slug: str, email: str, password: str, runs: int):
    """Median time of the first page of responses; time and peak memory of a CSV export."""
    opener = session(base_url, email, password)
    responses = f"{base_url}/admin/consultations/{slug}/responses"
    workers = servers.worker_pids(master_pid)
    for _ in range(2 * len(workers)):
        _timed(opener, responses)  # a worker's first request loads templates: not counted
    list_times = [_timed(opener, responses)[0] for _ in range(runs)]

    before = {pid: servers.memory_status(pid)["VmRSS"] for pid in workers}
    peaks_reset = all(servers.reset_peak(pid) for pid in workers)
    seconds, export = _timed(opener, f"{responses}.csv")
    after = {pid: servers.memory_status(pid)["VmHWM"] for pid in workers}
    # The worker that served the export is the one whose peak rose the most.
    growth = max(after[pid] - before[pid] for pid in workers)
    return {
        "list_ms": statistics.median(list_times) * 1000,
        "list_runs_ms": [t * 1000 for t in list_times],
        "export_s": seconds,
        "export_bytes": len(export),
        "export_rows": sum(1 for _ in csv.reader(io.StringIO(export.decode("utf-8-sig")))) - 1,
        "export_worker_peak_mb": max(after.values()) / 2**20,
        "export_worker_growth_mb": growth / 2**20,
        "peak_is_this_export": peaks_reset,
    }
