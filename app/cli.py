"""The flask commands: accounts, content, demo data and the retention purge."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time as timer
from collections.abc import Callable
from datetime import datetime, time, timedelta
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from app.admin.moderation import summary as moderation_summary
from app.calls import rules as calls
from app.calls.publishing import publish
from app.consultations.files import (
    ConsultationFileError,
    import_consultation_file,
    load_consultation_file,
    save_consultation,
)
from app.consultations.lifecycle import plural
from app.demo import load as demo_load
from app.extensions import db
from app.mail import notifications, outbox
from app.models import AdminUser, admin_with_email, utcnow
from app.privacy import retention
from app.readers import services as reader_services
from app.readers import sessions as reader_sessions
from app.runtime import clock
from app.updates import mailings, subscriptions

DEMO_DIR = Path(__file__).resolve().parent / "demo"
# Days from today when each demo opens and closes, so the demo always shows every state.
DEMO_WINDOWS = {
    "local-services-local-providers": (-14, 28),
    "community-transport": (21, 70),
    "library-opening-hours": (-90, -30),
    "parks-and-play-areas": (35, 90),
}
DEMO_CLOSING_HOUR = 17
# Below the web processes (0), so that in a surge they get the CPU first.
WORKER_NICENESS = 10

consultations_cli = AppGroup("consultations", help="Manage consultations.")
outbox_cli = AppGroup("outbox", help="Deliver queued email.")
log = logging.getLogger(__name__)


@consultations_cli.command("import")
@click.option(
    "--draft",
    is_flag=True,
    help="Make a new consultation a draft, which may still lack what publishing needs.",
)
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(path: Path, draft: bool) -> None:
    """Create or update a consultation from a YAML file.

    A new consultation is published at once, so the file must have everything publishing
    needs: the officer's email, a way of taking part, questions for a survey, themes for
    written evidence. With --draft a new consultation starts as a draft that only admins
    see, and may lack those; publish it in the admin area. A consultation already there
    keeps its draft or published state, and a published one must stay complete.
    """
    try:
        consultation, created = import_consultation_file(
            path, current_app.config["SITE_ZONE"], draft=draft
        )
    except ConsultationFileError as error:
        click.echo(f"{path} was not imported: {len(error.problems)} problem(s).", err=True)
        for problem in error.problems:
            click.echo(f"  {problem}", err=True)
        raise SystemExit(1) from error
    verb = "Created" if created else "Updated"
    kind = "draft consultation" if consultation.is_draft else "consultation"
    click.echo(f"{verb} {kind} '{consultation.slug}': {consultation.title}")


@click.command("create-admin")
@with_appcontext
@click.argument("email")
def create_admin_command(email: str) -> None:
    """Create an admin account, or reset its password. Password from ADMIN_PASSWORD or a prompt."""
    password = os.environ.get("ADMIN_PASSWORD") or click.prompt(
        "Password", hide_input=True, confirmation_prompt=True
    )
    if len(password) < 12:
        raise click.BadParameter("use at least 12 characters", param_hint="password")
    email = email.strip()
    user = admin_with_email(email)
    created = user is None
    if created:
        user = AdminUser(email=email, role="admin")
        db.session.add(user)
    user.set_password(password)
    db.session.commit()
    click.echo(f"{'Created' if created else 'Updated'} admin account {email}")


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Load the demo consultations, dated around today. Existing ones are left as they are.

    Those in demo/drafts/ are loaded as drafts, so the admin area shows one on its way.
    """
    zone = current_app.config["SITE_ZONE"]
    today = (
        clock.now()
        .astimezone(zone)
        .replace(hour=DEMO_CLOSING_HOUR, minute=0, second=0, microsecond=0)
    )
    files = [(path, False) for path in sorted(DEMO_DIR.glob("*.yaml"))]
    files += [(path, True) for path in sorted((DEMO_DIR / "drafts").glob("*.yaml"))]
    for path, draft in files:
        spec = load_consultation_file(path, zone, draft=draft)
        opens_in, closes_in = DEMO_WINDOWS.get(spec.slug, (-7, 28))
        spec.opens_at = (today + timedelta(days=opens_in)).replace(hour=9)
        spec.closes_at = today + timedelta(days=closes_in)
        consultation, created = save_consultation(spec, update=False, published=not draft)
        kind = "demo draft" if draft else "demo consultation"
        click.echo(f"{'Loaded' if created else 'Kept'} {kind} '{consultation.slug}'")
        if created and not draft and consultation.offers("contact"):
            _publish_demo_times(consultation)


def _publish_demo_times(consultation) -> None:
    """Weekday calls from 10am to 4pm for the next two weeks, as an officer might publish."""
    zone = current_app.config["SITE_ZONE"]
    tomorrow = clock.now().astimezone(zone).date() + timedelta(days=1)
    wanted = calls.series(
        tomorrow, tomorrow + timedelta(days=13), range(5), time(10), time(16), 30, zone
    )
    result = publish(consultation, wanted, clock.now(), "demo")
    click.echo(f"Published {len(result.new)} call times for '{consultation.slug}'")


def _deliver_once() -> tuple[int, int, int]:
    now = clock.now()
    queued = notifications.queue_scheduled(now) + _queue_updates(now) + _housekeeping(now)
    sent, failed = outbox.deliver_due(now)
    return queued, sent, failed


def _tried(what: str, step: Callable[[], int]) -> int:
    """One part of the worker's round, which commits its own work. A failure is logged
    and rolled back, and the round goes on to the next part and then to deliver, since
    receipts and alerts matter more than any of these; the next round tries again."""
    try:
        return step() or 0
    except Exception:  # noqa: BLE001 (logged in full; delivery must not wait on a bug here)
        log.exception("%s failed", what)
        db.session.rollback()
        return 0


def _queue_updates(now: datetime) -> int:
    """The news the clock has made due for followers and subscribers, deleting the
    addresses never confirmed, and ending the follows with nothing more to send. Each is
    tried on its own: one piece of news that fails must not keep an unconfirmed address
    past its 7 days."""
    queued = _tried("queueing email updates", lambda: mailings.queue_announcements(now))
    deleted = _tried(
        "deleting addresses never confirmed", lambda: subscriptions.delete_unconfirmed(now)
    )
    if deleted:
        log.info("deleted %d addresses never confirmed", deleted)
    _tried(
        "ending follows of finished consultations",
        lambda: subscriptions.end_finished_follows(now),
    )
    return queued


def _housekeeping(now: datetime) -> int:
    """The policy officer's daily summary of reports of comments (the emails it queued),
    and forgetting readers' used or expired sign-in links and expired sessions."""
    queued = _tried(
        "queueing the summary of comment reports",
        lambda: moderation_summary.queue_daily_summary(now),
    )
    _tried("deleting readers' old sign-in links", lambda: reader_services.delete_expired_links(now))
    _tried("deleting readers' expired sessions", lambda: reader_sessions.delete_expired(now))
    return queued


@outbox_cli.command("send")
def outbox_send_command() -> None:
    """Queue what the clock makes due, deliver every due email once, then stop."""
    queued, sent, failed = _deliver_once()
    click.echo(f"Queued {queued}, sent {sent}, failed {failed}.")


def _remove_orphaned_documents() -> None:
    """The worker's housekeeping: documents a crash left on disk with no row. A failure is
    logged and the worker goes on, since email comes first."""
    try:
        removed = retention.remove_orphaned_files(utcnow())  # files' times are the wall clock's
    except (SQLAlchemyError, OSError):
        log.exception("removing orphaned documents failed")
        db.session.rollback()
    else:
        if removed:
            click.echo(f"{retention.orphaned_summary(removed)}.")
    finally:
        db.session.remove()


@outbox_cli.command("work")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between rounds.")
@click.option("--rounds", type=int, default=None, help="Stop after this many rounds.")
@click.option(
    "--nice",
    type=click.IntRange(0, 19),
    default=WORKER_NICENESS,
    show_default=True,
    help="How far below the site's processes the worker's CPU priority is (0: the same).",
)
@click.option(
    "--idle/--no-idle",
    default=True,
    show_default=True,
    help="Use only CPU time the site's processes leave (Linux); else the niceness alone.",
)
def outbox_work_command(interval: float, rounds: int | None, nice: int, idle: bool) -> None:
    """Keep delivering: a round every few seconds until stopped (SIGTERM or Ctrl-C)."""
    # On a machine the site shares, the pages people are waiting for come first; a
    # receipt can wait the seconds a surge lasts (docs/performance.md).
    niceness = os.nice(nice)
    idle = idle and _only_when_idle()
    stopping = threading.Event()
    previous_handler = signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    priority = f"at niceness {niceness}" + (", only on idle CPU time" if idle else "")
    click.echo(f"Outbox worker started; a round every {interval:g} s, {priority}.")
    done = 0
    swept_at: float | None = None
    try:
        while not stopping.is_set() and (rounds is None or done < rounds):
            backlog = False
            try:
                queued, sent, failed = _deliver_once()
            except SQLAlchemyError:
                # A locked or unreachable database is worth retrying; log it and go on.
                log.exception("outbox round failed")
                db.session.rollback()
            else:
                if queued or sent or failed:
                    click.echo(f"Queued {queued}, sent {sent}, failed {failed}.")
                # A full batch means more may be due: go on at once rather than send at
                # most one batch per interval (10 emails a second at the defaults).
                backlog = sent + failed >= outbox.BATCH_SIZE
            finally:
                db.session.remove()
            # Between rounds, and never while a backlog waits.
            if not backlog and retention.sweep_due(swept_at, timer.monotonic()):
                swept_at = timer.monotonic()
                _remove_orphaned_documents()
            done += 1
            last = rounds is not None and done >= rounds
            stopping.wait(0 if backlog or last else interval)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous_handler)
    click.echo("Outbox worker stopped.")


def _only_when_idle() -> bool:
    """Ask Linux to run this process only when no other wants the CPU (SCHED_IDLE).

    A niceness still gives the worker a share of a busy CPU (at 10, about a tenth of a
    site process's), taken from the requests of a surge; a scheduler for idle time gives
    it the moments the site's processes wait for the disk or the network, which a surge
    on one machine leaves plenty of. A lock it holds is not held for long: the processes
    that wait on it leave the CPU to it.
    """
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError):  # not Linux, or not allowed here
        return False
    return True


@click.command("purge")
@with_appcontext
@click.option(
    "--older-than",
    "days",
    type=click.IntRange(min=0, max=36_500),
    required=True,
    metavar="DAYS",
    help="Purge consultations whose deadline passed more than this many days ago.",
)
def purge_command(days: int) -> None:
    """Remove respondents' personal details from consultations closed more than DAYS days ago.

    Names, email addresses, telephone numbers, messages, documents, drafts and sent emails
    go; answers, evidence and the team's tags and notes stay. Running it again is safe.
    Documents left on disk with no response, more than an hour old, go too.
    """
    purged = retention.purge(clock.now(), timedelta(days=days))
    for result in purged:
        click.echo(f"{result.title}: {result.summary()}.")
    if not purged:
        period = plural(days, "day")
        click.echo(
            f"Nothing to purge: no consultation closed more than {period} ago"
            " has personal details left."
        )
    # The files' times are the filesystem's, so their age is told by the wall clock.
    removed = retention.remove_orphaned_files(utcnow(), actor=retention.PURGE_ACTOR)
    if removed:
        click.echo(f"{retention.orphaned_summary(removed)}.")


@click.command("demo-load")
@with_appcontext
@click.option(
    "--responses",
    "count",
    type=click.IntRange(min=1, max=1_000_000),
    required=True,
    help="How many responses to add.",
)
@click.option(
    "--consultation",
    "slug",
    metavar="SLUG",
    help="The consultation to fill. Default: the open demo consultation with a survey.",
)
@click.option(
    "--seed", type=int, default=1, show_default=True, help="The same seed, the same responses."
)
def demo_load_command(count: int, slug: str | None, seed: int) -> None:
    """Add invented submitted responses to a consultation, fast, to try the site at scale."""
    now = clock.now()
    try:
        consultation = demo_load.target(slug, now)
    except demo_load.NoConsultation as error:
        raise click.ClickException(str(error)) from error
    started = timer.perf_counter()
    added = demo_load.add_responses(consultation, count, seed, now)
    took = timer.perf_counter() - started
    click.echo(f"Added {added} responses to {consultation.title} in {took:.1f} s.")


def init_app(app: Flask) -> None:
    """Register the commands."""
    app.cli.add_command(outbox_cli)
    app.cli.add_command(consultations_cli)
    app.cli.add_command(create_admin_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(purge_command)
    app.cli.add_command(demo_load_command)
