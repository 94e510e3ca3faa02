"""`make bench`: serve the site and a bare Flask app with gunicorn, load both, report.

    python -m bench.run [--seconds 10] [--rounds 3] [--connections 50]
                        [--arrivals-per-s 30] [--surge-seconds 300]
                        [--responses 100000] [--subscribers 10000] [--tiny]

Writes bench/results.json (or --output) and prints a table. See docs/performance.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy

from app import config
from bench import admin, browser, database, load, report, rounds, servers, surge, updates

SLUG = "local-services-local-providers"  # the open demo consultation
ADMIN_EMAIL = "bench@example.org"
# Two connections for each of gunicorn's workers (2 a core): each gets a request.
WARM_CONNECTIONS = 4 * (os.cpu_count() or 1)
SUBMISSION_PAGES = {
    "consultation_list": "/",
    "consultation_page": f"/consultations/{SLUG}",
    "survey_page": f"/consultations/{SLUG}/survey/pages/1",
}
FIRST_VISITS = {
    "consultation_list": "/",
    "consultation_page": f"/consultations/{SLUG}",
    "survey_start": f"/consultations/{SLUG}/survey",
    "survey_page": f"/consultations/{SLUG}/survey/pages/1",
    "evidence_form": f"/consultations/{SLUG}/evidence",
    "contact_form": f"/consultations/{SLUG}/contact",
}
# The list and a consultation's page for a visitor whose browser holds a session (one who
# has begun a survey): drawn for them each time, never one kept for visitors with no
# cookie (app.web.shared_pages).
RETURNING_PAGES = {
    "consultation_list_with_session": "/",
    "consultation_page_with_session": f"/consultations/{SLUG}",
}
SURVEY = (f"/consultations/{SLUG}/survey/pages/1", "/survey/confirmation")
# The order each round runs the survey journeys in: normal, then dead, then slow.
MAIL_MODES = ("normal", "dead", "slow")
EVIDENCE = (f"/consultations/{SLUG}/evidence", "/evidence/confirmation")


def _options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10, help="length of each load")
    parser.add_argument(
        "--journey-seconds",
        type=float,
        help="length of each load of whole journeys (default: --seconds)",
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="times each load is run, in turn with the others"
    )
    parser.add_argument(
        "--warmup-seconds", type=float, default=3, help="length of each load's warm-up"
    )
    parser.add_argument("--connections", type=int, default=50, help="concurrent users")
    parser.add_argument(
        "--arrivals-per-s",
        type=float,
        default=30,
        help="survey journeys starting each second in the open-loop surge",
    )
    parser.add_argument(
        "--surge-seconds", type=float, default=300, help="length of the open-loop surge"
    )
    parser.add_argument("--responses", type=int, default=100_000, help="generated responses")
    parser.add_argument(
        "--subscribers", type=int, default=10_000, help="subscribers an update is sent to"
    )
    parser.add_argument("--lcp-runs", type=int, default=5)
    parser.add_argument("--output", type=Path, default=Path(__file__).parent / "results.json")
    parser.add_argument(
        "--database-url",
        help="an empty database to run on, such as postgresql://user@host/bench "
        "(default: a new SQLite file)",
    )
    parser.add_argument(
        "--tiny",
        action="store_true",
        help="a few seconds of light load on a small database: checks the benchmark runs",
    )
    options = parser.parse_args()
    if options.tiny:
        # Every part, rounds and all, on a machine busy with other tests: a load this short
        # may see no request finish, which is why the suite judges the rounds together.
        options.seconds, options.journey_seconds, options.warmup_seconds = 1, 2, 1
        options.connections, options.responses, options.subscribers = 2, 200, 200
        options.arrivals_per_s, options.surge_seconds = 4, 5
        options.rounds, options.lcp_runs = 3, 1
    if options.journey_seconds is None:
        options.journey_seconds = options.seconds
    return options


def _pdf(folder: Path) -> Path:
    """A 1 MB PDF: what the evidence form checks is its first bytes."""
    path = folder / "evidence.pdf"
    head, tail = b"%PDF-1.4\n", b"\n%%EOF\n"
    path.write_bytes(head + b"%" * (1_000_000 - len(head) - len(tail)) + tail)
    return path


def _prepare(env: dict, responses: int) -> None:
    """A fresh database with the demo data, generated responses and an admin."""
    servers.flask(env, "db", "upgrade")
    servers.flask(env, "seed-demo")
    servers.flask(env, "demo-load", "--responses", str(responses), "--consultation", SLUG)
    servers.flask(env, "create-admin", ADMIN_EMAIL)


def _count(database_url: str, sql: str) -> int:
    return database.scalar(database_url, sqlalchemy.text(sql))


def _journeys_with_mail(base_url: str, env: dict, mode: str, connections: int):
    """Survey journeys while the outbox worker delivers to a mail server in `mode`."""

    def measure(seconds: float) -> dict:
        with (
            servers.mail_server(mode) as mail,
            # A worker waiting on a slow or dead server stops only once it times out.
            servers.outbox_worker(
                servers.mail_settings(env, mail), wait_until_started=True, stop_grace=0.5
            ),
        ):
            figures = load.journey(base_url, *SURVEY, seconds, connections)
            figures["emails_delivered"] = mail.received
        return figures

    return measure


def _loads(baseline_url: str, url: str, env: dict, options, pdf: Path) -> list[rounds.Load]:
    """Every load of a round, in the order each round runs them: the baseline first."""
    connections = options.connections

    def page(address: str, cookie: str | None = None):
        return lambda seconds: load.get(address, seconds, connections, cookie)

    def warm_page(address: str):
        # Every worker: a worker's first request of a page loads its templates.
        return lambda seconds: load.get(address, seconds, max(connections, WARM_CONNECTIONS))

    loads = [rounds.Load("baseline", "page", options.seconds, page(baseline_url + "/"))]
    for name, path in SUBMISSION_PAGES.items():
        loads.append(
            rounds.Load(name, "page", options.seconds, page(url + path), warm_page(url + path))
        )
    cookie = load.session_cookie(url + SUBMISSION_PAGES["survey_page"])
    for name, path in RETURNING_PAGES.items():
        loads.append(rounds.Load(name, "page", options.seconds, page(url + path, cookie)))
    for mode in MAIL_MODES:
        loads.append(
            rounds.Load(
                f"survey_journeys_mail_{mode}",
                "journey",
                options.journey_seconds,
                _journeys_with_mail(url, env, mode, connections),
            )
        )
    loads.append(
        rounds.Load(
            "evidence_journeys",
            "journey",
            options.journey_seconds,
            lambda seconds: load.journey(url, *EVIDENCE, seconds, connections, upload=pdf),
        )
    )
    return loads


def _comparisons(loads: dict) -> dict:
    """Survey journeys with each working mail server against a dead one."""
    dead = loads["survey_journeys_mail_dead"]["per_s"]["rounds"]
    compared = {}
    for mode in MAIL_MODES:
        if mode != "dead":
            working = loads[f"survey_journeys_mail_{mode}"]["per_s"]["rounds"]
            compared[f"mail_{mode}_to_dead"] = rounds.compare(
                working, dead, list(zip(working, dead, strict=True))
            )
    return compared


def _settings(options, database: str, responses: int) -> dict:
    return {
        "seconds": options.seconds,
        "journey_seconds": options.journey_seconds,
        "warmup_seconds": options.warmup_seconds,
        "rounds": options.rounds,
        "connections": options.connections,
        "arrivals_per_s": options.arrivals_per_s,
        "surge_seconds": options.surge_seconds,
        "generated_responses": options.responses,
        "responses_in_database": responses,
        "gunicorn_config": "gunicorn.conf.py",
        "database": sqlalchemy.engine.make_url(database).get_backend_name(),
        "tiny": options.tiny,
    }


def _measure(env: dict, database: str, password: str, options, work: Path, clock) -> dict:
    """Every part, with the bare baseline and the site served side by side throughout."""
    results: dict = {}
    with (
        servers.gunicorn("baseline:app", env, chdir=Path(__file__).parent) as (baseline, bare),
        servers.gunicorn("wsgi:app", env, health="/healthz") as (url, pid),
    ):

        def settle() -> None:
            if not servers.wait_until_idle([bare, pid]):
                print("  the servers were still busy a minute after a load", flush=True)

        loads = _loads(baseline, url, env, options, _pdf(work))
        results["loads"] = rounds.run(
            loads, options.rounds, options.warmup_seconds, clock.zero, settle
        )
        results["comparisons"] = _comparisons(results["loads"])
        clock.lap("rounds")
        print(
            f"Surge: {options.arrivals_per_s:g} survey journeys a second for "
            f"{options.surge_seconds:g} s…",
            flush=True,
        )
        settle()
        results["surge"] = found = surge.measure(url, env, database, options, SURVEY)
        print(
            f"  {found['journeys_completed']} of {found['journeys_due']} journeys completed, "
            f"{found['late_starts']} started late, p99 of the send "
            f"{found['send_latency_ms']['p99']:.0f} ms; emails delivered once: "
            f"{'yes' if found['emails_once'] else 'no'}",
            flush=True,
        )
        clock.lap("surge")
        results["browser"] = browser.measure(
            {name: url + path for name, path in FIRST_VISITS.items()},
            url + FIRST_VISITS["survey_page"],
            options.lcp_runs,
        )
        clock.lap("browser")
        results["responses"] = _count(database, "SELECT count(*) FROM response")
        results["admin"] = admin.measure(url, pid, SLUG, ADMIN_EMAIL, password, runs=5)
        results["admin"]["responses"] = _count(
            database, "SELECT count(*) FROM response WHERE submitted_at IS NOT NULL"
        )
        clock.lap("admin")
        results["updates"] = updates.measure(
            url,
            env,
            database,
            options,
            SUBMISSION_PAGES["survey_page"],
            (ADMIN_EMAIL, password),
        )
        clock.lap("updates")
    return results


class _Clock:
    """The time each part of the run took, in seconds."""

    def __init__(self) -> None:
        self.zero = self.last = time.monotonic()
        self.parts: dict[str, float] = {}

    def lap(self, part: str) -> None:
        now = time.monotonic()
        self.parts[part] = now - self.last
        self.last = now


def main() -> None:
    options = _options()
    clock = _Clock()
    load_average_at_start = os.getloadavg()
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    database = config.database_url(options.database_url or f"sqlite:///{work / 'bench.db'}")
    password = secrets.token_urlsafe(16)
    env = servers.environment(
        INSTANCE_PATH=str(work),
        DATABASE_URL=database,
        SECRET_KEY=secrets.token_hex(32),
        ADMIN_PASSWORD=password,
        # One address sends everything here, and as fast as it can: no limits, no bot timer.
        RATELIMIT_ENABLED="false",
        SUBMIT_MIN_SECONDS="0",
        # Nothing listens here: the web processes never talk to a mail server.
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(servers.free_port()),
    )
    try:
        print(f"Preparing a database with {options.responses} responses…", flush=True)
        _prepare(env, options.responses)
        clock.lap("prepare")
        measured = _measure(env, database, password, options, work, clock)
        results = {
            "generated_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "machine": {
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "platform": platform.platform(),
                # The machine is shared: how busy it was, over 1, 5 and 15 minutes.
                "load_average_at_start": load_average_at_start,
                "load_average_at_end": os.getloadavg(),
            },
            "settings": _settings(options, database, measured.pop("responses")),
            "run_seconds": {**clock.parts, "total": time.monotonic() - clock.zero},
            **measured,
        }
        results["targets"] = report.targets(results)
        options.output.write_text(json.dumps(results, indent=2) + "\n")
        print(report.table(results))
        print(f"\nWritten to {options.output}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
