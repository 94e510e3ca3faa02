"""The site as it is deployed: several gunicorn processes and outbox workers on one database,
with rate limits kept in Redis.

The database is this run's (a SQLite file, or PostgreSQL with `--database=postgresql`);
gunicorn, `flask outbox work` and redis-server are real processes. Each test checks from
gunicorn's access log that more than one process did the work, so none can pass by
having everything land on one process.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests
from sqlalchemy import func, select

from app.extensions import db
from app.mail.notifications import notify_submission
from app.models import Booking, OutboxEmail
from bench import servers
from tests.support.concurrency import at_once
from tests.support.contact import MESSAGE_URL, VALID_MESSAGE, publish
from tests.support.factories import ADMIN_EMAIL
from tests.support.outbox import make_submission
from tests.support.processes import hidden_fields, settings
from tests.support.services import ServiceFailed, redis_server

WORKERS = 4  # gunicorn processes, and outbox worker processes
PEOPLE = 12
TAKEN = "That time has just been taken. Choose another time."
LOGIN_URL = "/admin/login"


@pytest.fixture
def now(clock) -> datetime:
    """The real time: the served site reads the system clock, not the test's."""
    clock.set(datetime.now(UTC).replace(microsecond=0))
    return clock.now


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A redis-server of this test's own; the run fails, never skips, if it cannot start."""
    try:
        with redis_server() as url:
            yield url
    except ServiceFailed as failure:
        pytest.fail(str(failure))


class Site:
    """gunicorn serving the site with WORKERS processes; its access log names each process."""

    def __init__(self, url: str, log: Path) -> None:
        self.url = url
        self.log = log

    def pids_that_served(self, method: str, path_pattern: str) -> set[str]:
        served = set()
        for line in self.log.read_text().splitlines():
            pid, line_method, path, _status = line.split(" ")
            if line_method == method and re.fullmatch(path_pattern, path):
                served.add(pid)
        return served


@pytest.fixture
def serve(tmp_path: Path, database_url: str) -> Iterator[Callable[..., Site]]:
    with ExitStack() as stack:

        def start(**more: str) -> Site:
            log = tmp_path / "access.log"
            url, _pid = stack.enter_context(
                servers.gunicorn(
                    "wsgi:app",
                    settings(tmp_path, database_url, **more),
                    health="/healthz",
                    args=(
                        f"--workers={WORKERS}",
                        f"--access-logfile={log}",
                        "--access-logformat=%(p)s %(m)s %(U)s %(s)s",
                    ),
                )
            )
            return Site(url, log)

        yield start


def test_people_booking_one_time_through_several_processes_get_one_booking(
    now, make_consultation, serve
):
    consultation = make_consultation()
    tomorrow = now.replace(minute=0, second=0) + timedelta(days=1)
    wanted, other = publish(consultation, tomorrow, tomorrow + timedelta(hours=1))
    # Every request comes from one address here; the limits have their own test below.
    site = serve(RATELIMIT_ENABLED="false")

    people = [requests.Session() for _ in range(PEOPLE)]
    call_urls, forms = [], []
    for number, person in enumerate(people):
        message_url = site.url + MESSAGE_URL
        sent = person.post(
            message_url,
            data={
                **hidden_fields(person.get(message_url)),
                **VALID_MESSAGE,
                "name": f"Person {number}",
                "email": f"person{number}@example.org",
            },
            allow_redirects=False,
        )
        assert sent.status_code == 303, sent.text[:500]
        call_urls.append(urljoin(site.url, sent.headers["Location"]))
        forms.append({**hidden_fields(person.get(call_urls[-1])), "slot": str(wanted.id)})

    answers = at_once(
        [
            (lambda p=person, u=url, f=form: p.post(u, data=f, allow_redirects=False))
            for person, url, form in zip(people, call_urls, forms, strict=True)
        ],
        timeout=120,
    )

    statuses = [answer.status_code for answer in answers]
    assert sorted(statuses) == [303] + [422] * (PEOPLE - 1), statuses
    for answer in answers:
        if answer.status_code == 422:
            assert TAKEN in answer.text
    db.session.rollback()
    booked = list(db.session.scalars(select(Booking).filter_by(status="booked")))
    assert [booking.slot_id for booking in booked] == [wanted.id]
    assert len(site.pids_that_served("POST", r"/consultations/[^/]+/contact/call/[^/]+")) > 1

    # Someone told the time was taken books the other one.
    loser = statuses.index(422)
    retry = people[loser].post(
        call_urls[loser],
        data={**hidden_fields(people[loser].get(call_urls[loser])), "slot": str(other.id)},
        allow_redirects=False,
    )
    assert retry.status_code == 303
    db.session.rollback()
    assert sorted(b.slot_id for b in db.session.scalars(select(Booking))) == sorted(
        [wanted.id, other.id]
    )


@contextmanager
def outbox_workers(env: dict, count: int) -> Iterator[list[subprocess.Popen]]:
    """`count` processes running `flask outbox work`, stopped with SIGTERM as systemd would."""
    with ExitStack() as stack:
        yield [
            stack.enter_context(servers.outbox_worker(env, args=("--interval", "0.1")))
            for _ in range(count)
        ]


def test_outbox_workers_in_several_processes_send_each_email_once(
    now, make_consultation, smtp_server, tmp_path, database_url
):
    consultation = make_consultation()
    # Due a few seconds from now, once every worker is up and polling, so that they race.
    due = now + timedelta(seconds=6)
    for number in range(100):  # an alert and a receipt each
        submission = make_submission(
            consultation, f"EV-{number:04d}", due, email=f"person{number}@example.org"
        )
        notify_submission(submission, due)
    db.session.commit()
    emails = len(db.session.scalars(select(OutboxEmail.id)).all())
    assert emails == 200
    smtp_server.handler.delay = 0.01  # a mail server that takes its time, so the work overlaps
    env = settings(tmp_path, database_url, MAIL_PORT=str(smtp_server.port))

    with outbox_workers(env, WORKERS):
        finished = wait_until(lambda: unsent() == 0, seconds=120)

    assert finished, f"{unsent()} emails still unsent"
    rows = list(db.session.scalars(select(OutboxEmail)))
    assert {row.status for row in rows} == {"sent"}
    assert {row.attempts for row in rows} == {1}
    received = Counter(message.message_id for message in smtp_server.received)
    assert sum(received.values()) == emails
    assert set(received) == {row.message_id for row in rows}
    assert set(received.values()) == {1}
    processes = {row.claimed_by.split(":")[1] for row in rows}
    assert len(processes) > 1, processes


def test_a_worker_with_a_backlog_sends_batch_after_batch_without_pausing(
    now, make_consultation, smtp_server, tmp_path
):
    consultation = make_consultation()
    for number in range(60):  # an alert and a receipt each: 120 emails, two batches and some
        submission = make_submission(
            consultation, f"EV-{number:04d}", now, email=f"person{number}@example.org"
        )
        notify_submission(submission, now)
    db.session.commit()
    env = settings(tmp_path, db.engine.url.render_as_string(hide_password=False))
    env["MAIL_PORT"] = str(smtp_server.port)

    # Three rounds an hour apart, unless a full batch sends the worker straight on.
    finished = subprocess.run(
        [str(servers.BIN / "flask"), "--app", "wsgi", "outbox", "work"]
        + ["--interval", "3600", "--rounds", "3"],
        cwd=servers.PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert finished.returncode == 0, finished.stderr
    # Below the site's processes by default, so that they come first in a surge.
    assert "at niceness 10, only on idle CPU time." in finished.stdout
    assert "sent 50" in finished.stdout
    assert unsent() == 0
    assert len(smtp_server.received) == 120


def unsent() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).where(OutboxEmail.status != "sent"))


def wait_until(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def attempt_logins(site: Site, count: int) -> list[int]:
    """`count` people each send a wrong password at once; their answers' status codes."""
    people = [requests.Session() for _ in range(count)]
    forms = [
        {**hidden_fields(person.get(site.url + LOGIN_URL)), "email": ADMIN_EMAIL, "password": "no"}
        for person in people
    ]
    answers = at_once(
        [
            (lambda p=person, f=form: p.post(site.url + LOGIN_URL, data=f, allow_redirects=False))
            for person, form in zip(people, forms, strict=True)
        ],
        timeout=120,
    )
    return [answer.status_code for answer in answers]


def test_a_rate_limit_is_shared_by_every_process_through_redis(admin_user, serve, redis_url):
    site = serve(RATELIMIT_STORAGE_URI=redis_url, RATELIMIT_LOGIN="5 per minute")

    statuses = attempt_logins(site, PEOPLE)

    # Alone, each of the WORKERS processes would have let 5 through.
    assert sorted(statuses) == [422] * 5 + [429] * (PEOPLE - 5), statuses
    assert len(site.pids_that_served("POST", LOGIN_URL)) > 1


def test_without_redis_the_site_goes_on_with_limits_kept_by_each_process(admin_user, serve):
    with redis_server() as redis_url:
        site = serve(RATELIMIT_STORAGE_URI=redis_url, RATELIMIT_LOGIN="5 per minute")
        assert attempt_logins(site, 2) == [422, 422]
    # Redis has stopped: nobody gets an error page, and the limit still holds in each process,
    # which lets at most 5 each through.
    statuses = attempt_logins(site, 3 * PEOPLE)

    assert 500 not in statuses
    assert set(statuses) <= {422, 429}
    assert 429 in statuses
