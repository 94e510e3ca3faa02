"""Email updates at scale: an admin sends an update to every subscriber over HTTP, and the
survey page is loaded before the outbox worker delivers it, in turns while it sends and
while it is paused, and after it has sent every email."""

from __future__ import annotations

import datetime
import http.cookiejar
import re
import resource
import signal
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import sqlalchemy

from app.mail import outbox
from app.models import CONFIRMED, Mailing, OutboxEmail, Subscriber
from app.updates import mailings, subscriptions
from bench import admin, database, load, rounds, servers

SUBJECT = "What we heard this month"
BODY = """\
## Thank you

Over **1,200 people** answered our consultations this month.

- The survey on local services closes soon.
- The outcome of the parking consultation is published.

Read more on [our website](https://example.org/news).
"""
MAILING_PAGE = re.compile(r"/admin/updates/(\d+)$")
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')
# What the worker may still do to a row; anything else is where the row ends.
UNFINISHED = (outbox.PENDING, outbox.SENDING, outbox.HELD)
# Long enough for the worker to send 10,000 emails on a slow, busy machine.
DRAIN_LIMIT_S = 900
# The survey page's loads once the worker has started, in turns. The machine's speed
# drifts (it is shared), so each load while sending has a load while not sending on
# either side: with the load before the worker starts, a drift in one direction cancels.
WINDOWS = ("sending", "paused", "sending", "paused", "sending", "paused")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """The answer itself, not the page it redirects to: the send is timed alone."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def make_subscribers(database_url: str, count: int) -> None:
    """`count` confirmed site-wide subscribers, in one bulk insert."""
    now = datetime.datetime.now(datetime.UTC)
    rows = []
    for n in range(count):
        email = f"subscriber{n}@example.org"
        rows.append(
            {
                "email_hash": subscriptions.address_hash(email),
                "email": email,
                "name": "",
                "status": CONFIRMED,
                "site_updates": True,
                "consent_at": now - datetime.timedelta(days=2),
                "consent_source": "/updates/sign-up",
                "consent_wording": subscriptions.CONSENT_WORDING,
                "signed_up_at": now - datetime.timedelta(days=2),
                "confirmed_at": now - datetime.timedelta(days=1),
            }
        )
    with database.connected(database_url, write=True) as connection:
        connection.execute(sqlalchemy.insert(Subscriber.__table__), rows)


def withdraw_earlier_emails(env: dict, database_url: str) -> int:
    """Queue the news due now, before anyone subscribes, then withdraw every email the
    worker would still send, so that it sends the update alone; how many were withdrawn.

    The demo consultation was published when the database was made, so its opening is
    news for two days: with 10,000 subscribers, 10,000 more emails. What is withdrawn is
    what the earlier loads left unsent (the slow and dead mail servers' share), and the
    one round's attempts, which fail since nothing listens at env's mail server.
    """
    servers.flask(env, "outbox", "send")
    return database.withdraw_unsent(database_url)


def _statuses(database_url: str, mailing_id: int) -> dict[str, int]:
    """The mailing's outbox rows by status."""
    table = OutboxEmail.__table__
    with database.connected(database_url) as connection:
        rows = connection.execute(
            sqlalchemy.select(table.c.status, sqlalchemy.func.count())
            .where(table.c.mailing_id == mailing_id)
            .group_by(table.c.status)
        )
        return {status: count for status, count in rows}


def _recipients(database_url: str, mailing_id: int) -> int | None:
    table = Mailing.__table__
    return database.scalar(
        database_url, sqlalchemy.select(table.c.recipients).where(table.c.id == mailing_id)
    )


def _token(opener, url: str) -> str:
    """The CSRF token of the form at `url`."""
    with opener.open(url) as page:
        return admin.CSRF.search(page.read().decode()).group(1)


def _post(opener, url: str, fields: dict[str, str]):
    return opener.open(url, urllib.parse.urlencode(fields).encode(), timeout=300)


def send_update(base_url: str, email: str, password: str) -> tuple[int, float]:
    """Write an update and send it to everyone subscribed, through the admin pages as an
    admin does; (the mailing's id, seconds of the POST that queues its emails)."""
    jar = http.cookiejar.CookieJar()
    opener = admin.session(base_url, email, password, jar)
    new = f"{base_url}/admin/updates/new"
    written = {"subject": SUBJECT, "body": BODY, "csrf_token": _token(opener, new)}
    with _post(opener, new, written) as page:
        found = MAILING_PAGE.search(urllib.parse.urlsplit(page.url).path)
    if found is None:
        raise RuntimeError(f"writing the update led to {page.url}")
    send = f"{base_url}/admin/updates/{found.group(1)}/send"
    chosen = {
        "audience": mailings.SUBSCRIBERS,
        "consultation": "",
        "csrf_token": _token(opener, send),
    }
    with _post(opener, send, chosen) as page:
        # The page that says how many people will get it; its form sends.
        check = page.read().decode()
    confirm = dict(HIDDEN.findall(check), csrf_token=admin.CSRF.search(check).group(1))
    if confirm.get("confirmed") != "yes":
        raise RuntimeError("choosing everyone subscribed did not lead to the confirm page")
    sending = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect)
    started = time.perf_counter()
    try:
        _post(sending, send, confirm).close()
    except urllib.error.HTTPError as answer:
        seconds = time.perf_counter() - started
        answer.close()
        if answer.code != 303:
            raise
    else:
        raise RuntimeError("sending the update was not answered with a redirect")
    return int(found.group(1)), seconds


def _wait(until, limit: float, every: float = 0.1) -> bool:
    """Poll `until()` every `every` seconds for up to `limit` seconds; whether it held."""
    deadline = time.monotonic() + limit
    while not until():
        if time.monotonic() > deadline:
            return False
        time.sleep(every)
    return True


def _unfinished(database_url: str, mailing_id: int) -> int:
    """The mailing's emails the worker has still to send."""
    statuses = _statuses(database_url, mailing_id)
    return sum(statuses.get(status, 0) for status in UNFINISHED)


def _own_cpu_seconds() -> float:
    """This process's CPU time: while wrk runs, that is the mail server's thread."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _wal_frames(database_url: str) -> int | None:
    """The pages in a SQLite database's write-ahead log now (None on PostgreSQL): readers
    look pages up in it, and it grows while the worker commits under a steady read load.
    Read from the log's shared index (mxFrame, a native-order u32 at byte 16 of -shm)."""
    url = sqlalchemy.engine.make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return None
    shm = Path(f"{url.database}-shm")
    if not shm.exists():
        return 0
    with shm.open("rb") as index:
        header = index.read(20)
    return int.from_bytes(header[16:20], sys.byteorder) if len(header) == 20 else 0


def _window(
    page: str, options, worker: subprocess.Popen, received, paused: bool, database_url: str
) -> dict:
    """One load of the page while the worker sends, or while it is paused (SIGSTOP: it
    uses no CPU and sends nothing), with the cores the worker and the mail server used."""
    if paused:
        worker.send_signal(signal.SIGSTOP)
        # Until the signal has landed.
        _wait(lambda: servers.process_state(worker.pid) == "T", 10, every=0.01)
    try:
        emails, cpu, mail_cpu = received(), servers.cpu_seconds(worker.pid), _own_cpu_seconds()
        started = time.monotonic()
        figures = load.get(page, options.seconds, options.connections)
        elapsed = time.monotonic() - started
        figures["worker"] = "paused" if paused else "sending"
        figures["emails_delivered"] = received() - emails
        figures["worker_cores"] = (servers.cpu_seconds(worker.pid) - cpu) / elapsed
        figures["mail_server_cores"] = (_own_cpu_seconds() - mail_cpu) / elapsed
        figures["seconds"] = elapsed
        figures["wal_frames_after"] = _wal_frames(database_url)
    finally:
        if paused:
            worker.send_signal(signal.SIGCONT)
    return figures


def _while_sending(env: dict, database_url: str, mailing_id: int, page: str, options) -> dict:
    """The page's throughput in turns while the outbox worker sends the mailing to a mail
    server that answers normally and while it is paused; then the worker sends the rest."""
    with servers.mail_server("normal") as mail:
        worker_env = servers.mail_settings(env, mail)

        def received() -> int:
            return mail.received

        started = time.monotonic()
        with servers.outbox_worker(worker_env) as worker:
            # The load begins once the worker is sending, not while it starts up.
            _wait(lambda: received() > 0, 60)
            first_email_s = time.monotonic() - started
            windows = [
                _window(page, options, worker, received, state == "paused", database_url)
                for state in WINDOWS
            ]
            # With few subscribers (--tiny) the worker may be done before the loads are.
            left_after_load = _unfinished(database_url, mailing_id)
            drained = _wait(
                lambda: _unfinished(database_url, mailing_id) == 0, DRAIN_LIMIT_S, every=0.5
            )
            paused_s = sum(w["seconds"] for w in windows if w["worker"] == "paused")
            sending_s = time.monotonic() - started - paused_s
        emails_received = received()
    sent = _statuses(database_url, mailing_id).get(outbox.SENT, 0)
    loaded = [w for w in windows if w["worker"] == "sending"]
    return {
        "windows": windows,
        "worker_first_email_s": first_email_s,
        "emails_delivered_during_load": sum(w["emails_delivered"] for w in loaded),
        "delivery_per_s_during_load": (
            sum(w["emails_delivered"] for w in loaded) / sum(w["seconds"] for w in loaded)
        ),
        "emails_left_after_load": left_after_load,
        "all_sent": drained,
        # From the worker's start to its last email, less the time it was paused.
        "sending_s": sending_s,
        "emails_delivered": sent,
        # Anything else the worker sent meanwhile (none expected).
        "other_emails_received": emails_received - sent,
        # Its start-up is not sending.
        "delivery_per_s": sent / max(sending_s - first_email_s, 0.001),
    }


def measure(
    base_url: str, env: dict, database_url: str, options, survey_page: str, credentials
) -> dict:
    """Queue an update to `options.subscribers` people, then the survey page's throughput
    before the worker sends it, in turns while it sends and while it is paused, and after
    it has sent them all."""
    withdrawn = withdraw_earlier_emails(env, database_url)
    make_subscribers(database_url, options.subscribers)
    mailing_id, queue_s = send_update(base_url, *credentials)
    rows = sum(_statuses(database_url, mailing_id).values())
    print(f"  update to {options.subscribers} subscribers queued in {queue_s:.2f} s", flush=True)

    page = base_url + survey_page
    before = load.get(page, options.seconds, options.connections)
    before["wal_frames_after"] = _wal_frames(database_url)
    sending = _while_sending(env, database_url, mailing_id, page, options)
    after = load.get(page, options.seconds, options.connections)
    after["wal_frames_after"] = _wal_frames(database_url)
    windows = sending["windows"]
    # Not sending: before the worker starts, and while it is paused (after is minutes later).
    paused = [w["requests_per_s"] for w in windows if w["worker"] == "paused"]
    quiet = [before["requests_per_s"], *paused]
    during = [w["requests_per_s"] for w in windows if w["worker"] == "sending"]
    # Each load while sending is paired with the paused one just after it.
    compared = rounds.compare(during, quiet, list(zip(during, paused, strict=True)))
    rates = {"quiet": statistics.median(quiet), "sending": statistics.median(during)}
    print(
        f"  survey page not sending {rates['quiet']:.0f}/s, sending {rates['sending']:.0f}/s, "
        f"after {after['requests_per_s']:.0f}/s; {sending['emails_delivered']} of {rows} "
        f"emails sent in {sending['sending_s']:.0f} s",
        flush=True,
    )
    return {
        "subscribers": options.subscribers,
        "queue_s": queue_s,
        "rows_queued": rows,
        "mailing_recipients": _recipients(database_url, mailing_id),
        "earlier_emails_withdrawn": withdrawn,
        "survey_page": {"before": before, "windows": windows, "after": after},
        # Medians: of the loads while sending, and of those before and while paused.
        "survey_page_per_s": {**rates, "after": after["requests_per_s"]},
        "sending_to_not_sending": compared,
        "sending_to_after": (
            rates["sending"] / after["requests_per_s"] if after["requests_per_s"] else None
        ),
        **sending,
        "statuses": _statuses(database_url, mailing_id),
    }
