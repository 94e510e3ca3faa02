"""The news the clock makes due, queued by the outbox worker (`flask outbox send` and
`flask outbox work`) and read back from a real SMTP server on loopback: a consultation
opening, a week before its deadline, closing, and its outcome published; and the
housekeeping that deletes the addresses never confirmed. Issue 21.

The clock is the test's (the `clock` fixture): it is moved to each moment, and the worker
run there several times, to show that each piece of news is queued once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

import pytest
from bs4 import BeautifulSoup
from flask import current_app
from sqlalchemy import event, func, select, text, update

from app.admin import consultation_settings
from app.admin.authoring import publishing
from app.admin.updates import services
from app.consultations.lifecycle import Override
from app.extensions import db
from app.mail import outbox
from app.mail.notifications import notify_submission
from app.models import CONFIRMED, Consultation, Follow, Mailing, OutboxEmail, Subscriber
from app.updates import mailings, subscriptions, tokens
from app.updates.rules import ANNOUNCE_WITHIN, CONFIRM_WITHIN, WEEK
from tests.support.concurrency import at_once
from tests.support.factories import TITLE, csrf_token
from tests.support.outbox import make_submission, work
from tests.support.smtp_server import Received

FOLA = "fola@example.org"  # follows it, and gets all four
BEN = "ben@example.org"  # follows it, then stops following after it opens
PAT = "pat@example.org"  # follows it and never confirms
SAM = "sam@example.org"  # follows it and signed up for every opening too
WIN = "win@example.org"  # signed up for every opening only
LEO = "leo@example.org"  # follows it after it has closed

SECOND = timedelta(seconds=1)
DAY = timedelta(days=1)
CONFIRM_LINK = re.compile(r"confirm your email address:\s+(\S+)")
CONFIRM_SUBJECT = "Confirm you want email updates"
NOW_OPEN = f"Now open: {TITLE}"
WEEK_LEFT = f"One week left: {TITLE}"
NOW_CLOSED = f"Closed: {TITLE}"
OUTCOME = f"Outcome published: {TITLE}"
AS_FOLLOWER = f'You get this email because you follow "{TITLE}" on our site.'
AS_SUBSCRIBER = "You get this email because you signed up for updates from our site."


# --- helpers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Known:
    """What the test knows of a consultation: it outlives the worker's database sessions."""

    id: int
    slug: str
    summary: str
    opens_at: datetime
    closes_at: datetime

    def row(self) -> Consultation:
        """The consultation, in the test's session as it is now."""
        db.session.rollback()
        return db.session.get(Consultation, self.id)


def known(consultation: Consultation) -> Known:
    return Known(
        consultation.id,
        consultation.slug,
        consultation.summary,
        consultation.opens_at,
        consultation.closes_at,
    )


@pytest.fixture
def forthcoming(make_consultation, clock) -> Known:
    """A consultation opening in three days, for four weeks, published yesterday."""
    opens = clock.now + 3 * DAY
    return known(
        make_consultation(opens_at=opens, closes_at=opens + 4 * WEEK, published_at=clock.now - DAY)
    )


def ask(clock, email: str, consultation: Known | None = None, site_updates: bool = False) -> None:
    """What the follow and sign-up forms do with an address."""
    asked = subscriptions.SignUp(
        email=email,
        name=email.split("@")[0].title(),
        site_updates=site_updates,
        consultation=consultation.row() if consultation else None,
        source="test",
    )
    subscriptions.sign_up(asked, clock.now)


def send(runner) -> str:
    """One round of the worker: `flask outbox send`."""
    result = runner.invoke(args=["outbox", "send"])
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


def rounds(runner) -> None:
    """The worker, again and again at one moment: each piece of news is queued once."""
    send(runner)
    send(runner)
    work(runner, rounds=3)


def confirm_from_email(smtp_server, clock, email: str) -> None:
    """Follow the link in the confirmation email the server received."""
    [message] = [m for m in smtp_server.to(email) if m.message["Subject"] == CONFIRM_SUBJECT]
    link = CONFIRM_LINK.search(message.text).group(1)
    assert subscriptions.confirm(link.rsplit("/", 1)[1], clock.now) is not None


def news_to(smtp_server, email: str) -> list[Received]:
    """What the address received besides its confirmation email."""
    return [m for m in smtp_server.to(email) if m.message["Subject"] != CONFIRM_SUBJECT]


def subjects(smtp_server, email: str) -> list[str]:
    return [str(m.message["Subject"]) for m in news_to(smtp_server, email)]


def subscriber(email: str) -> Subscriber | None:
    db.session.rollback()
    return db.session.scalar(
        select(Subscriber).filter_by(email_hash=subscriptions.address_hash(email))
    )


def unsubscribe_link(message: Received) -> str:
    """The List-Unsubscribe header's link, which must also be in the email's text."""
    header = str(message.message["List-Unsubscribe"])
    assert header.startswith("<") and header.endswith(">"), header
    link = header[1:-1]
    assert message.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link in message.text
    assert link in message.html
    return link


def mailing_keys() -> list[str]:
    db.session.rollback()
    return list(db.session.scalars(select(Mailing.key).order_by(Mailing.id)))


def publish_outcome(client, slug: str, words: str) -> None:
    """An admin publishes the outcome through the real form."""
    path = f"/admin/consultations/{slug}/outcome"
    answer = client.post(path, data={"outcome": words, "csrf_token": csrf_token(client, path)})
    assert answer.status_code == 303, answer.status_code


def withdraw_outcome(client, slug: str) -> None:
    path = f"/admin/consultations/{slug}/outcome"
    answer = client.post(f"{path}/withdraw", data={"csrf_token": csrf_token(client, path)})
    assert answer.status_code == 303, answer.status_code


# --- the story the issue asks for ------------------------------------------------------------


def test_a_follower_gets_exactly_four_emails_as_the_clock_moves_through_a_consultation(
    app, clock, runner, smtp_server, forthcoming, client, auth
):
    consultation = forthcoming
    slug, opens, closes = consultation.slug, consultation.opens_at, consultation.closes_at
    signed_up = clock.now
    for email in (FOLA, BEN, PAT):
        ask(clock, email, consultation)
    ask(clock, SAM, consultation, site_updates=True)
    ask(clock, WIN, site_updates=True)
    send(runner)
    for email in (FOLA, BEN, SAM, WIN):
        confirm_from_email(smtp_server, clock, email)
    rounds(runner)

    # It opens: every follower and every subscriber hears, once each.
    clock.set(opens - SECOND)
    rounds(runner)
    assert mailing_keys() == []
    clock.set(opens)
    rounds(runner)
    for email in (FOLA, BEN, SAM, WIN):
        assert subjects(smtp_server, email) == [NOW_OPEN], email
    assert news_to(smtp_server, PAT) == []

    # Ben stops following, through the link in the email he got.
    [opened] = news_to(smtp_server, BEN)
    scope = tokens.read_unsubscribe_token(unsubscribe_link(opened).rsplit("/", 1)[1])
    assert scope == tokens.UnsubscribeScope(subscriber(BEN).id, consultation.id)
    subscriptions.stop_following(subscriptions.find(scope), consultation.id, clock.now)

    # Pat never confirmed: the address goes a week after signing up, its email forgotten.
    clock.set(signed_up + CONFIRM_WITHIN)
    rounds(runner)
    assert subscriber(PAT) is not None
    clock.set(signed_up + CONFIRM_WITHIN + SECOND)
    rounds(runner)
    assert subscriber(PAT) is None
    assert db.session.scalar(select(func.count()).select_from(Follow)) == 2  # Fola's, Sam's
    [confirmation] = db.session.scalars(
        select(OutboxEmail).where(
            OutboxEmail.kind == "updates_confirm", OutboxEmail.subscriber_id.is_(None)
        )
    )
    assert confirmation.to_addr == outbox.FORGOTTEN
    assert confirmation.body_text == confirmation.body_html == ""
    assert confirmation.subscriber_id is None

    # A week before the deadline, two workers at once queue the reminder once.
    clock.set(closes - WEEK)
    queued = at_once(
        [partial(mailings.queue_announcements, clock.now)] * 2, context=app.app_context
    )
    assert sorted(queued) == [0, 2]
    rounds(runner)

    # It closes; Leo follows an hour later, and so does not hear that it closed.
    clock.set(closes)
    rounds(runner)
    clock.set(closes + timedelta(hours=1))
    ask(clock, LEO, consultation)
    send(runner)
    confirm_from_email(smtp_server, clock, LEO)
    rounds(runner)
    assert news_to(smtp_server, LEO) == []

    # The outcome is published, taken down and published again: one email.
    clock.set(closes + 3 * DAY)
    assert auth.login().status_code == 303
    publish_outcome(client, slug, "You said the library should open on Sundays. It will.")
    rounds(runner)
    clock.advance(hours=2)
    withdraw_outcome(client, slug)
    rounds(runner)
    clock.advance(hours=2)
    publish_outcome(client, slug, "You said the library should open on Sundays. It does.")
    rounds(runner)

    for email in (FOLA, SAM):
        assert subjects(smtp_server, email) == [NOW_OPEN, WEEK_LEFT, NOW_CLOSED, OUTCOME], email
        for message in news_to(smtp_server, email):
            assert AS_FOLLOWER in message.text
            link = unsubscribe_link(message)
            assert tokens.read_unsubscribe_token(link.rsplit("/", 1)[1]).consultation_id == (
                consultation.id
            )
    assert subjects(smtp_server, BEN) == [NOW_OPEN]
    assert subjects(smtp_server, WIN) == [NOW_OPEN]
    [to_win] = news_to(smtp_server, WIN)
    assert AS_SUBSCRIBER in to_win.text
    assert tokens.read_unsubscribe_token(unsubscribe_link(to_win).rsplit("/", 1)[1]) == (
        tokens.UnsubscribeScope(subscriber(WIN).id)
    )
    assert subjects(smtp_server, LEO) == [OUTCOME]
    assert [m.message["Subject"] for m in smtp_server.to(PAT)] == [CONFIRM_SUBJECT]
    assert [key.split(":")[0] for key in mailing_keys()] == [
        "opened",
        "week_left",
        "closed",
        "outcome",
    ]
    ids = smtp_server.message_ids()
    assert len(ids) == len(set(ids))
    # Each email's subject is what the admin's list of emails calls it.
    db.session.rollback()
    listed = [
        services.title_of(m) for m in db.session.scalars(select(Mailing).order_by(Mailing.id))
    ]
    assert listed == subjects(smtp_server, FOLA)
    for message in news_to(smtp_server, FOLA):
        assert "\n\n\n" not in message.text.replace("\r\n", "\n"), message.text
    outcome_link = BeautifulSoup(news_to(smtp_server, FOLA)[-1].html, "html.parser").find(
        "a", string=f"Read what came of {TITLE}"
    )
    assert outcome_link["href"].endswith(f"/consultations/{consultation.slug}")


def test_the_emails_say_what_happened_and_when(app, clock, runner, smtp_server, forthcoming):
    consultation = forthcoming
    ask(clock, FOLA, consultation)
    send(runner)
    confirm_from_email(smtp_server, clock, FOLA)
    for moment in (consultation.opens_at, consultation.closes_at - WEEK, consultation.closes_at):
        clock.set(moment)
        send(runner)
    opened, week_left, closed = news_to(smtp_server, FOLA)

    deadline = "midday UK time on 4 March 2027"  # as the site writes times
    assert f"is now open. Have your say by {deadline}." in opened.text
    assert consultation.summary in opened.text
    assert f"/consultations/{consultation.slug}" in opened.text
    assert f"It closes at {deadline}." in week_left.text
    assert 'open the link in the "Carry on with your survey" email' in week_left.text
    assert "has closed. Thank you to everyone who took part." in closed.text
    assert "We will email you when we do." in closed.text
    for message in (opened, week_left, closed):
        assert message.message["Auto-Submitted"] == "auto-generated"
        assert AS_FOLLOWER in message.text
        assert TITLE in message.html


def test_the_reminder_says_nothing_of_a_survey_a_consultation_does_not_have(
    app, clock, runner, smtp_server, make_consultation
):
    consultation = known(make_consultation(channels=["evidence"], closes_at=clock.now + WEEK + DAY))
    ask(clock, FOLA, consultation)
    send(runner)
    confirm_from_email(smtp_server, clock, FOLA)
    clock.advance(days=1)
    send(runner)

    [week_left] = news_to(smtp_server, FOLA)
    assert week_left.message["Subject"] == WEEK_LEFT
    assert "survey" not in week_left.text


@pytest.mark.parametrize(
    ("opens_in", "reminded"),
    [
        (10 * DAY, False),  # open 3 days, closing 13 days from now: its last week is all of it
        (5 * DAY, True),  # open 8 days: a day of it is before its last week
    ],
)
def test_the_follow_box_promises_the_reminder_exactly_when_it_is_sent(
    app, clock, runner, smtp_server, make_consultation, client, opens_in, reminded
):
    opens, closes = clock.now + opens_in, clock.now + 13 * DAY
    consultation = known(
        make_consultation(opens_at=opens, closes_at=closes, published_at=clock.now - DAY)
    )
    box = BeautifulSoup(client.get(f"/consultations/{consultation.slug}").data, "html.parser")
    words = " ".join(
        box.find("section", attrs={"aria-labelledby": "follow-heading"}).stripped_strings
    )
    ask(clock, FOLA, consultation)
    send(runner)
    [confirmation] = smtp_server.to(FOLA)
    confirm_from_email(smtp_server, clock, FOLA)

    for moment in (opens, closes - WEEK, closes):
        clock.set(moment)
        rounds(runner)

    promised = "a week before it closes"
    assert (promised in words, promised in confirmation.text) == (reminded, reminded)
    heard = [NOW_OPEN, WEEK_LEFT, NOW_CLOSED] if reminded else [NOW_OPEN, NOW_CLOSED]
    assert subjects(smtp_server, FOLA) == heard


# --- what is never sent ----------------------------------------------------------------------


def test_a_draft_is_never_announced_and_opens_when_it_is_published(
    app, clock, runner, smtp_server, make_consultation
):
    """Published two days after its opening time: its opening is then, to the site's
    subscribers (a draft has no followers)."""
    draft = known(
        make_consultation(
            channels=["contact"],
            opens_at=clock.now,
            published_at=None,
            closes_at=clock.now + 4 * WEEK,
        )
    )
    ask(clock, WIN, site_updates=True)
    send(runner)
    confirm_from_email(smtp_server, clock, WIN)
    rounds(runner)
    clock.advance(days=2)
    rounds(runner)
    assert mailing_keys() == []

    assert publishing.publish(draft.row(), "admin@example.org", clock.now)
    rounds(runner)

    assert subjects(smtp_server, WIN) == [NOW_OPEN]
    db.session.rollback()
    assert db.session.scalar(select(Mailing.created_at)) == clock.now


def test_news_the_worker_missed_by_more_than_two_days_is_never_sent(
    app, clock, runner, smtp_server, forthcoming
):
    ask(clock, FOLA, forthcoming, site_updates=True)
    send(runner)
    confirm_from_email(smtp_server, clock, FOLA)

    clock.set(forthcoming.opens_at + ANNOUNCE_WITHIN + SECOND)  # the worker was down
    rounds(runner)
    clock.set(forthcoming.closes_at + ANNOUNCE_WITHIN + SECOND)
    rounds(runner)

    assert mailing_keys() == []
    assert news_to(smtp_server, FOLA) == []


def test_news_queued_but_not_delivered_within_two_days_is_withdrawn(
    app, clock, runner, smtp_server, forthcoming
):
    ask(clock, FOLA, forthcoming)
    send(runner)
    confirm_from_email(smtp_server, clock, FOLA)
    smtp_server.stop()
    clock.set(forthcoming.opens_at)
    assert "Queued 1, sent 0, failed 1." in send(runner)

    clock.set(forthcoming.opens_at + ANNOUNCE_WITHIN)
    smtp_server.start()
    send(runner)

    assert news_to(smtp_server, FOLA) == []
    db.session.rollback()
    [row] = db.session.scalars(select(OutboxEmail).where(OutboxEmail.mailing_id.is_not(None)))
    assert row.status == outbox.WITHDRAWN


def test_an_address_never_confirmed_gets_nothing_and_one_being_sent_to_waits(
    app, clock, runner, smtp_server, forthcoming
):
    ask(clock, PAT, forthcoming, site_updates=True)
    clock.set(forthcoming.opens_at)
    rounds(runner)
    assert [m.message["Subject"] for m in smtp_server.to(PAT)] == [CONFIRM_SUBJECT]
    assert mailing_keys() == [f"opened:{forthcoming.id}"]

    # Its confirmation email is being sent again at the moment of deletion: it waits.
    ask(clock, PAT, forthcoming)
    signed_up = clock.now
    clock.set(signed_up + CONFIRM_WITHIN + SECOND)
    [claimed] = outbox.claim_due(clock.now, "another worker")
    assert claimed.subject == CONFIRM_SUBJECT
    assert subscriptions.delete_unconfirmed(clock.now) == 0
    assert subscriber(PAT) is not None
    clock.advance(minutes=10)  # that worker died; its lease ran out: the email is sent...
    send(runner)
    assert len(smtp_server.to(PAT)) == 2
    send(runner)  # ...and the address goes
    assert subscriber(PAT) is None
    db.session.rollback()
    rows = db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)).all()
    assert [row.to_addr for row in rows] == [outbox.FORGOTTEN, outbox.FORGOTTEN]


def test_an_address_whose_confirmation_is_under_way_is_not_deleted(app, clock):
    """On PostgreSQL the worker skips an address another transaction holds: here one
    confirming it (what subscriptions.confirm writes), not yet committed when the worker
    looks. SQLite lets one writer in at a time, so there is nothing to stage there."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite lets one writer in at a time")
    ask(clock, PAT, site_updates=True)
    pat = subscriber(PAT).id
    db.session.rollback()
    clock.advance(seconds=CONFIRM_WITHIN.total_seconds() + 1)

    with db.engine.connect() as confirming:
        confirming.execute(
            update(Subscriber)
            .where(Subscriber.id == pat)
            .values(status=CONFIRMED, confirmed_at=clock.now)
        )
        assert subscriptions.delete_unconfirmed(clock.now) == 0
        confirming.commit()

    assert subscriber(PAT).confirmed


# --- an admin opening and closing by hand, and moving the deadline ---------------------------


def set_override(consultation: Known, override: Override, now) -> None:
    assert consultation_settings.set_override(
        consultation.row(), override, "admin@example.org", now
    )


def test_opened_early_and_closed_early_by_hand_the_news_goes_at_the_admins_moments(
    app, clock, runner, smtp_server, forthcoming
):
    ask(clock, FOLA, forthcoming)
    send(runner)
    confirm_from_email(smtp_server, clock, FOLA)

    clock.advance(days=1)
    set_override(forthcoming, Override.OPEN, clock.now)
    rounds(runner)
    assert subjects(smtp_server, FOLA) == [NOW_OPEN]
    assert "Have your say by" not in news_to(smtp_server, FOLA)[0].text  # no deadline now
    clock.set(forthcoming.opens_at)
    rounds(runner)

    clock.advance(days=5)
    set_override(forthcoming, Override.CLOSED, clock.now)
    rounds(runner)
    clock.set(forthcoming.closes_at - WEEK)
    rounds(runner)
    clock.set(forthcoming.closes_at)
    rounds(runner)

    assert subjects(smtp_server, FOLA) == [NOW_OPEN, NOW_CLOSED]


def test_kept_open_past_its_deadline_it_closes_when_an_admin_closes_it(
    app, clock, runner, smtp_server, forthcoming
):
    """Someone who follows it after the deadline, while it is still open, hears it close."""
    clock.set(forthcoming.opens_at + DAY)
    set_override(forthcoming, Override.OPEN, clock.now)
    clock.set(forthcoming.closes_at + DAY)
    rounds(runner)
    ask(clock, LEO, forthcoming)
    send(runner)
    confirm_from_email(smtp_server, clock, LEO)

    clock.advance(days=4)
    set_override(forthcoming, Override.CLOSED, clock.now)
    rounds(runner)

    assert subjects(smtp_server, LEO) == [NOW_CLOSED]
    assert mailing_keys() == [f"closed:{forthcoming.id}"]


def test_a_deadline_moved_later_sends_a_second_reminder_and_one_close(
    app, clock, runner, smtp_server, forthcoming
):
    ask(clock, FOLA, forthcoming)
    send(runner)
    confirm_from_email(smtp_server, clock, FOLA)
    clock.set(forthcoming.closes_at - WEEK)
    rounds(runner)

    clock.advance(days=2)
    later = forthcoming.closes_at + 2 * WEEK
    zone = current_app.config["SITE_ZONE"]
    assert consultation_settings.change_dates(
        forthcoming.row(), forthcoming.opens_at, later, "admin@example.org", zone
    )
    rounds(runner)
    clock.set(later - WEEK)
    rounds(runner)
    clock.set(later)
    rounds(runner)

    assert subjects(smtp_server, FOLA) == [WEEK_LEFT, WEEK_LEFT, NOW_CLOSED]
    first, second = news_to(smtp_server, FOLA)[:2]
    assert "4 March 2027" in first.text
    assert "18 March 2027" in second.text


# --- the worker's round ----------------------------------------------------------------------


def test_while_nothing_is_due_the_worker_asks_the_database_one_question(
    app, clock, forthcoming, make_consultation
):
    make_consultation(slug="another", opens_at=clock.now - 3 * WEEK)
    statements = []

    def count(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert mailings.queue_announcements(clock.now) == 0
        assert len(statements) == 1
        clock.set(forthcoming.opens_at)
        statements.clear()
        assert mailings.queue_announcements(clock.now) == 0  # nobody to tell
        assert mailing_keys() == [f"opened:{forthcoming.id}"]
        clock.advance(hours=1)
        statements.clear()
        assert mailings.queue_announcements(clock.now) == 0
        assert len(statements) == 2  # the news is due, and was sent
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def test_a_failure_queueing_news_is_logged_and_the_round_still_delivers(
    app, clock, runner, smtp_server, forthcoming, caplog
):
    """The database refuses news for real (a trigger); a receipt queued meanwhile is still
    delivered, and once the database takes news again the next round queues it."""
    ask(clock, FOLA, forthcoming)
    send(runner)
    confirm_from_email(smtp_server, clock, FOLA)
    refuse_news(on=True)
    clock.set(forthcoming.opens_at)
    notify_submission(
        make_submission(forthcoming.row(), "EV-TRIGGR", clock.now, email="ada@example.org"),
        clock.now,
    )
    db.session.commit()

    send(runner)
    assert "queueing email updates failed" in caplog.text
    assert [m.message["Subject"] for m in smtp_server.to("ada@example.org")] != []
    assert mailing_keys() == []

    refuse_news(on=False)
    send(runner)
    assert subjects(smtp_server, FOLA) == [NOW_OPEN]


def test_a_failure_queueing_news_still_deletes_the_addresses_never_confirmed(
    app, clock, runner, smtp_server, make_consultation, caplog
):
    ask(clock, PAT, site_updates=True)
    send(runner)
    opening = clock.now + CONFIRM_WITHIN + DAY  # its opening is due when Pat's time is up
    make_consultation(opens_at=opening, closes_at=opening + 4 * WEEK, published_at=clock.now)
    refuse_news(on=True)
    try:
        clock.set(opening)
        send(runner)

        assert "queueing email updates failed" in caplog.text
        assert mailing_keys() == []
        assert subscriber(PAT) is None
    finally:
        refuse_news(on=False)  # a PostgreSQL database is handed on to the next test


def refuse_news(on: bool) -> None:
    """Make the database refuse every new mailing, or take them again."""
    db.session.rollback()
    sqlite = db.engine.dialect.name == "sqlite"
    if not on:
        db.session.execute(
            text("DROP TRIGGER refuse_news" if sqlite else "DROP TRIGGER refuse_news ON mailing")
        )
        if not sqlite:
            db.session.execute(text("DROP FUNCTION refuse_news()"))
    elif sqlite:
        db.session.execute(
            text(
                "CREATE TRIGGER refuse_news BEFORE INSERT ON mailing"
                " BEGIN SELECT RAISE(ABORT, 'no news today'); END"
            )
        )
    else:
        db.session.execute(
            text(
                "CREATE FUNCTION refuse_news() RETURNS trigger AS"
                " $$ BEGIN RAISE EXCEPTION 'no news today'; END $$ LANGUAGE plpgsql"
            )
        )
        db.session.execute(
            text(
                "CREATE TRIGGER refuse_news BEFORE INSERT ON mailing"
                " FOR EACH ROW EXECUTE FUNCTION refuse_news()"
            )
        )
    db.session.commit()
