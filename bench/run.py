"""`make bench`: serve the site and a bare Flask app with gunicorn, load both, report.

    python -m bench.run [--seconds 15] [--connections 50] [--responses 100000]
                        [--subscribers 10000] [--tiny]

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
from pathlib import Path

import sqlalchemy
import sqlalchemy.pool

from app import config
from bench import admin, browser, load, report, servers, updates

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
SURVEY = (f"/consultations/{SLUG}/survey/pages/1", "/survey/confirmation")
EVIDENCE = (f"/consultations/{SLUG}/evidence", "/evidence/confirmation")


def _options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15, help="length of each load")
    parser.add_argument("--connections", type=int, default=50, help="concurrent users")
    parser.add_argument("--responses", type=int, default=100_000, help="generated responses")
    parser.add_argument(
        "--journey-seconds",
        type=float,
        help="length of each load of whole journeys (default: --seconds)",
    )
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
        # On a busy machine one second may not see a single request of 2 connections
        # finish, nor 5 seconds a single survey journey (11 requests one after another).
        options.seconds, options.connections, options.responses = 2, 2, 200
        options.journey_seconds = 5
        options.subscribers, options.lcp_runs = 200, 1
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
    engine = sqlalchemy.create_engine(database_url, poolclass=sqlalchemy.pool.NullPool)
    try:
        with engine.connect() as connection:
            return connection.execute(sqlalchemy.text(sql)).scalar_one()
    finally:
        engine.dispose()


def _submissions(base_url: str, env: dict, options, pdf: Path) -> tuple[dict, dict]:
    """Survey journeys with the mail server normal, slow and dead; evidence with a PDF."""
    smtp = {}
    for mode in ("normal", "slow", "dead"):
        with servers.mail_server(mode) as (port, received):
            worker_env = dict(env, MAIL_SERVER="127.0.0.1", MAIL_PORT=str(port), MAIL_TIMEOUT="10")
            with servers.outbox_worker(worker_env):
                figures = load.journey(
                    base_url, *SURVEY, options.journey_seconds, options.connections
                )
                figures["emails_delivered"] = received()
        smtp[mode] = figures
        print(
            f"  survey journeys, mail server {mode}: {figures['journeys_per_s']:.1f}/s", flush=True
        )
    evidence = load.journey(
        base_url, *EVIDENCE, options.journey_seconds, options.connections, upload=pdf
    )
    print(f"  evidence journeys: {evidence['journeys_per_s']:.1f}/s", flush=True)
    return smtp, evidence


def main() -> None:
    options = _options()
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
        throughput = {}
        with servers.gunicorn("baseline:app", env, chdir=Path(__file__).parent) as (url, _pid):
            throughput["baseline"] = load.get(url + "/", options.seconds, options.connections)
        print(f"  baseline: {throughput['baseline']['requests_per_s']:.0f}/s", flush=True)
        with servers.gunicorn("wsgi:app", env, health="/healthz") as (url, pid):
            for name, path in SUBMISSION_PAGES.items():
                # Warm every worker: a worker's first request of a page loads its templates.
                # With --tiny's 2 connections, one second of load may reach only two.
                load.get(url + path, 1, max(options.connections, WARM_CONNECTIONS))
                throughput[name] = load.get(url + path, options.seconds, options.connections)
                print(f"  {name}: {throughput[name]['requests_per_s']:.0f}/s", flush=True)
            smtp, evidence = _submissions(url, env, options, _pdf(work))
            throughput["survey_submission"] = smtp["normal"]
            throughput["evidence_submission"] = evidence
            measured_browser = browser.measure(
                {name: url + path for name, path in FIRST_VISITS.items()},
                url + FIRST_VISITS["survey_page"],
                options.lcp_runs,
            )
            responses = _count(database, "SELECT count(*) FROM response")
            measured_admin = admin.measure(url, pid, SLUG, ADMIN_EMAIL, password, runs=5)
            measured_admin["responses"] = _count(
                database, "SELECT count(*) FROM response WHERE submitted_at IS NOT NULL"
            )
            measured_updates = updates.measure(
                url,
                env,
                database,
                options,
                SUBMISSION_PAGES["survey_page"],
                (ADMIN_EMAIL, password),
            )
        report.add_ratios(throughput)
        results = {
            "generated_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "machine": {
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "platform": platform.platform(),
            },
            "settings": {
                "seconds": options.seconds,
                "journey_seconds": options.journey_seconds,
                "connections": options.connections,
                "generated_responses": options.responses,
                "responses_in_database": responses,
                "gunicorn_config": "gunicorn.conf.py",
                "database": sqlalchemy.engine.make_url(database).get_backend_name(),
                "tiny": options.tiny,
            },
            "throughput": throughput,
            "smtp": smtp,
            "browser": measured_browser,
            "admin": measured_admin,
            "updates": measured_updates,
        }
        results["targets"] = report.targets(results)
        options.output.write_text(json.dumps(results, indent=2) + "\n")
        print(report.table(results))
        print(f"\nWritten to {options.output}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
