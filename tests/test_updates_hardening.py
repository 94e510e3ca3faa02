"""Email updates against a stranger: what typing someone else's address into a form can
change, addresses that only look alike, old unsubscribe links reaching a row given a
deleted row's id, and what is kept of an address once it is forgotten. Also the transaction
that queues a mailing, which must write its ten thousand emails before taking SQLite's
write lock, not while holding it. Issue 21.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from urllib.parse import urlsplit

import pytest
from flask import Flask, template_rendered
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import delete, event, select

from app.extensions import db
from app.mail import outbox
from app.models import (
    CONFIRMED,
    UNSUBSCRIBED,
    Consultation,
    Follow,
    Mailing,
    OutboxEmail,
    Subscriber,
)
from app.updates import mailings, subscriptions, tokens
from app.updates.rules import ANNOUNCE_WITHIN, CONFIRM_WITHIN
from tests.support.concurrency import at_once
from tests.support.smtp_server import HOST, RecordingHandler, point_app_at

ADA = "ada@example.org"
SECOND = timedelta(seconds=1)
DAY = timedelta(days=1)


# --- helpers ---------------------------------------------------------------------------------


def confirmed(
    clock, email: str, name: str = "", *, site_updates: bool = True, follows=()
) -> Subscriber:
    """An address as signing up and confirming leaves it."""
    person = Subscriber(
        email_hash=subscriptions.address_hash(email),
        email=email,
        name=name,
        status=CONFIRMED,
        site_updates=site_updates,
        consent_at=clock.now if site_updates else None,
        consent_source="/updates/sign-up" if site_updates else "",
        consent_wording=subscriptions.CONSENT_WORDING if site_updates else "",
        signed_up_at=clock.now,
        confirmed_at=clock.now,
    )
    for consultation in follows:
        person.follows.append(
            Follow(
                consultation=consultation,
                created_at=clock.now,
                consent_source=f"/consultations/{consultation.slug}",
                consent_wording=subscriptions.CONSENT_WORDING,
            )
        )
    db.session.add(person)
    db.session.commit()
    return person


def stored(email: str) -> Subscriber | None:
    db.session.rollback()
    return db.session.scalar(
        select(Subscriber).filter_by(email_hash=subscriptions.address_hash(email))
    )


def queued(kind: str) -> list[OutboxEmail]:
    db.session.rollback()
    return list(db.session.scalars(select(OutboxEmail).filter_by(kind=kind)))


def send(runner) -> str:
    """One round of the worker: `flask outbox send`."""
    result = runner.invoke(args=["outbox", "send"])
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


def token_of(link: str) -> str:
    return urlsplit(link).path.rsplit("/", 1)[1]


# --- a stranger signing up with someone's address ----------------------------------------------


def test_a_sign_up_never_changes_a_confirmed_address_or_name_and_its_owner_is_told(
    app, clock, make_consultation
):
    consultation = make_consultation()
    confirmed(clock, ADA, "Ada Lovelace", site_updates=False, follows=[consultation])

    sent = subscriptions.sign_up(
        subscriptions.SignUp(
            email="ADA@Example.ORG", name="Mallory", site_updates=True, source="/updates/sign-up"
        ),
        clock.now,
    )

    ada = stored(ADA)
    assert (ada.email, ada.name) == (ADA, "Ada Lovelace")
    assert sent == subscriptions.Sent.NOTICE
    [notice] = queued("updates_subscribed")
    assert notice.to_addr == f"Ada Lovelace <{ADA}>"


def test_something_added_to_a_confirmed_address_is_always_told_and_nothing_new_is_not(
    app, clock, make_consultation
):
    parks = make_consultation(slug="parks")
    libraries = make_consultation(slug="libraries")
    confirmed(clock, ADA, site_updates=False, follows=[parks])

    def follow(consultation: Consultation | None) -> subscriptions.Sent:
        clock.advance(minutes=1)
        return subscriptions.sign_up(
            subscriptions.SignUp(email=ADA, consultation=consultation, source="test"), clock.now
        )

    assert follow(parks) == subscriptions.Sent.NOTICE  # nothing new: told once...
    assert follow(parks) == subscriptions.Sent.NOTHING  # ...and not again within 15 minutes
    assert follow(libraries) == subscriptions.Sent.NOTICE  # something new: told at once
    assert follow(libraries) == subscriptions.Sent.NOTHING
    assert len(queued("updates_subscribed")) == 2


def test_a_pending_address_takes_the_latest_form_s_spelling_and_name(app, clock):
    subscriptions.sign_up(subscriptions.SignUp(email=ADA, name="Ada", site_updates=True), clock.now)
    clock.advance(minutes=20)
    subscriptions.sign_up(
        subscriptions.SignUp(email="Ada@example.org", name="Ada L", site_updates=True), clock.now
    )

    ada = stored(ADA)
    assert (ada.email, ada.name, ada.status) == ("Ada@example.org", "Ada L", "pending")


# --- addresses that only look alike ------------------------------------------------------------


def test_a_domain_with_sharp_s_is_not_its_ss_look_alike(app, clock):
    confirmed(clock, "victim@grosse.de", "Victim")

    subscriptions.sign_up(
        subscriptions.SignUp(email="victim@große.de", name="Mallory", site_updates=True),
        clock.now,
    )

    victim = stored("victim@grosse.de")
    assert (victim.email, victim.name, victim.status) == ("victim@grosse.de", "Victim", CONFIRMED)
    other = stored("victim@große.de")
    assert other.id != victim.id
    assert other.status == "pending"


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Ada@Example.ORG", "ada@example.org"),
        ("  ada@example.org ", "ada@example.org"),
        ("ada@bücher.example", "ada@xn--bcher-kva.example"),
        ("ADA@BÜCHER.example", "ada@bücher.example"),
    ],
)
def test_one_address_however_it_is_typed_is_one_hash(app, one, other):
    assert subscriptions.address_hash(one) == subscriptions.address_hash(other)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("victim@grosse.de", "victim@große.de"),
        ("ñame@example.org", "Ñame@example.org"),  # not ASCII: compared as typed
        ("ada@example.org", "ada@example.org.evil"),
    ],
)
def test_different_addresses_are_different_hashes(app, one, other):
    assert subscriptions.address_hash(one) != subscriptions.address_hash(other)


@given(
    local=st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=20),
    domain=st.from_regex(r"[a-z0-9]{1,10}\.[a-z]{2,6}", fullmatch=True),
)
def test_plain_ascii_addresses_hash_alike_in_any_case(local, domain):
    local = local.replace("@", "a")
    typed = f"{local}@{domain}"
    assert subscriptions.address_hash(typed.upper()) == subscriptions.address_hash(typed.lower())


# --- old unsubscribe links ---------------------------------------------------------------------


def test_an_old_link_to_a_deleted_row_does_not_reach_the_address_given_its_id(app, client, clock):
    old = confirmed(clock, "old@example.org")
    old_id = old.id
    old_link = subscriptions.manage_url(old)
    db.session.execute(delete(Subscriber).where(Subscriber.id == old_id))
    db.session.commit()
    # SQLite gives the next row the id of the last one deleted; PostgreSQL does not, so
    # the new row is given it here.
    new = Subscriber(
        id=old_id,
        email_hash=subscriptions.address_hash(ADA),
        email=ADA,
        status=CONFIRMED,
        site_updates=True,
        signed_up_at=clock.now,
        confirmed_at=clock.now,
    )
    db.session.add(new)
    db.session.commit()

    scope = tokens.read_unsubscribe_token(token_of(old_link))
    assert scope is not None and scope.subscriber_id == old_id
    assert subscriptions.find(scope) is None
    answer = client.post(urlsplit(old_link).path, data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200
    assert stored(ADA).status == CONFIRMED

    own_link = subscriptions.manage_url(stored(ADA))
    assert len(token_of(own_link)) < 100
    assert subscriptions.find(tokens.read_unsubscribe_token(token_of(own_link))).email == ADA
    client.post(urlsplit(own_link).path, data={"List-Unsubscribe": "One-Click"})
    assert stored(ADA).status == UNSUBSCRIBED


def test_a_mailing_s_links_hold_the_start_of_the_address_s_hash(app, clock, make_consultation):
    ada = confirmed(clock, ADA)
    mailing = Mailing(kind="update", subject="News", body="Some news.", created_by="admin")
    db.session.add(mailing)
    db.session.commit()

    assert mailings.send_update(mailing, mailings.SUBSCRIBERS, None, "admin", clock.now)

    [email] = queued("mailing_update")
    scope = tokens.read_unsubscribe_token(token_of(email.unsubscribe_url))
    assert scope.fingerprint == ada.email_hash[: tokens.FINGERPRINT]
    assert subscriptions.find(scope).id == ada.id


# --- what forgetting leaves --------------------------------------------------------------------


def test_forgetting_clears_the_server_s_error_which_names_the_address(
    app, clock, runner, smtp_server
):
    # An address the site cannot send to: its error names it.
    typed = "ñame@example.org"
    person = confirmed(clock, typed)
    subscriptions.sign_up(subscriptions.SignUp(email=typed, site_updates=True), clock.now)
    send(runner)
    [failed] = queued("updates_subscribed")
    assert failed.status == outbox.FAILED
    assert typed in failed.last_error

    subscriptions.unsubscribe(stored(typed), clock.now)

    [forgotten] = queued("updates_subscribed")
    assert typed not in forgotten.last_error
    assert forgotten.last_error == outbox.FORGOTTEN  # it failed: that much is kept
    assert (forgotten.attempts, forgotten.to_addr) == (1, outbox.FORGOTTEN)
    assert forgotten.subscriber_id == person.id


def _notice_being_sent(clock) -> OutboxEmail:
    """Ada's notice, taken by a worker that then died before recording anything."""
    confirmed(clock, ADA, "Ada")
    subscriptions.sign_up(subscriptions.SignUp(email=ADA, site_updates=True), clock.now)
    [claimed] = outbox.claim_due(clock.now, "another worker")
    assert claimed.status == outbox.SENDING
    return claimed


def test_an_email_being_sent_when_its_address_unsubscribes_is_withdrawn_and_forgotten(
    app, clock, runner, smtp_server
):
    _notice_being_sent(clock)
    subscriptions.unsubscribe(stored(ADA), clock.now)
    [row] = queued("updates_subscribed")
    assert row.status == outbox.SENDING  # its worker still has it

    clock.advance(minutes=10)  # that worker died; its lease ran out: no other sends it
    send(runner)

    [row] = queued("updates_subscribed")
    assert row.status == outbox.WITHDRAWN
    assert ADA not in (row.to_addr + row.body_text + row.body_html + row.last_error)
    assert row.unsubscribe_url == ""
    assert smtp_server.to(ADA) == []


def test_an_email_being_sent_when_its_address_unsubscribes_is_never_tried_again(
    app, clock, runner, smtp_server
):
    _notice_being_sent(clock)
    subscriptions.unsubscribe(stored(ADA), clock.now)
    smtp_server.stop()

    clock.advance(minutes=10)  # that worker died; its lease ran out
    assert "sent 0, failed 0" in send(runner)
    smtp_server.start()
    clock.advance(hours=2)
    send(runner)

    [row] = queued("updates_subscribed")
    assert (row.status, row.attempts) == (outbox.WITHDRAWN, 0)
    assert ADA not in (row.to_addr + row.body_text + row.body_html + row.last_error)
    assert smtp_server.to(ADA) == []


def _unsubscribe_elsewhere(app: Flask, clock) -> None:
    """Ada unsubscribes in an app context of her own, as her request would."""
    with app.app_context():
        subscriptions.unsubscribe(stored(ADA), clock.now)


@dataclass
class AnswersOnceAdaUnsubscribed(RecordingHandler):
    """A mail server that, holding Ada's email, waits for her to unsubscribe, then answers."""

    unsubscribe: Callable[[], None] = lambda: None
    reply: str = "250 Message accepted for delivery"

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's name)
        await super().handle_DATA(server, session, envelope)
        self.unsubscribe()
        return self.reply


def _kept_of_ada(row: OutboxEmail) -> str:
    """Every field of an email that could hold her address or name."""
    return row.to_addr + row.subject + row.body_text + row.body_html + row.last_error


@pytest.mark.parametrize(
    ("reply", "then"),
    [
        ("250 Message accepted for delivery", outbox.SENT),
        ("451 Try again later", outbox.WITHDRAWN),  # never to be tried again
    ],
)
def test_an_email_whose_address_unsubscribes_while_its_worker_sends_it_keeps_nothing(
    app, clock, runner, smtp_server, reply, then
):
    confirmed(clock, ADA, "Ada Lovelace")
    subscriptions.sign_up(subscriptions.SignUp(email=ADA, site_updates=True), clock.now)
    smtp_server.stop()
    smtp_server.handler = AnswersOnceAdaUnsubscribed(
        unsubscribe=partial(_unsubscribe_elsewhere, app, clock), reply=reply
    )
    smtp_server.start()
    # Long enough for any unsubscribe: the worker must hear the answer, not give up on it.
    point_app_at(app, smtp_server.port, timeout=30)

    send(runner)

    [on_its_way] = smtp_server.to(ADA)
    assert "Ada Lovelace" in str(on_its_way.message["To"])
    assert stored(ADA).email is None  # she unsubscribed while the server held it
    [row] = queued("updates_subscribed")
    assert (row.status, row.attempts) == (then, 1)
    assert (row.to_addr, row.unsubscribe_url) == (outbox.FORGOTTEN, "")
    assert ADA not in _kept_of_ada(row) and "Lovelace" not in _kept_of_ada(row)
    clock.advance(hours=2)
    send(runner)
    assert len(smtp_server.to(ADA)) == 1


def test_an_email_whose_address_unsubscribes_while_the_server_cannot_be_reached_keeps_nothing(
    app, clock
):
    confirmed(clock, ADA, "Ada Lovelace")
    subscriptions.sign_up(subscriptions.SignUp(email=ADA, site_updates=True), clock.now)

    with socket.create_server((HOST, 0)) as listener:
        listener.settimeout(10)
        # The worker waits for the greeting until the server hangs up, however long it takes.
        point_app_at(app, listener.getsockname()[1], timeout=30)

        def hang_up_once_ada_unsubscribed() -> None:
            """A mail server that takes the connection and closes it without a greeting."""
            connection, _ = listener.accept()
            with connection:
                _unsubscribe_elsewhere(app, clock)

        [_, outcome] = at_once(
            [hang_up_once_ada_unsubscribed, partial(outbox.deliver_due, clock.now)],
            context=app.app_context,
            timeout=30,
        )

    assert outcome == (0, 1)
    assert stored(ADA).email is None
    [row] = queued("updates_subscribed")
    assert (row.status, row.attempts) == (outbox.WITHDRAWN, 1)
    assert ADA not in _kept_of_ada(row) and "Lovelace" not in _kept_of_ada(row)


def test_a_forgettable_email_that_fails_for_good_keeps_no_address(app, clock, runner, smtp_server):
    typed = "ñame@example.org"
    confirmed(clock, typed)
    subscriptions.sign_up(subscriptions.SignUp(email=typed, site_updates=True), clock.now)
    [row] = queued("updates_subscribed")
    row.forget_when_sent = True
    db.session.commit()

    send(runner)

    [row] = queued("updates_subscribed")
    assert row.status == outbox.FAILED
    assert typed not in (row.to_addr + row.body_text + row.last_error)


def test_unsubscribing_keeps_nothing_of_the_consent_or_the_dates(app, clock):
    signed_up = clock.now
    confirmed(clock, ADA, "Ada")
    clock.advance(days=30)

    subscriptions.unsubscribe(stored(ADA), clock.now)

    ada = stored(ADA)
    assert (ada.email, ada.name, ada.status) == (None, "", UNSUBSCRIBED)
    assert (ada.consent_at, ada.consent_source, ada.consent_wording) == (None, "", "")
    assert ada.confirmed_at is None
    assert ada.signed_up_at == ada.unsubscribed_at == clock.now != signed_up


def test_the_privacy_notice_says_what_the_hash_is_for_and_what_it_is_not(client):
    told = client.get("/privacy").get_data(as_text=True)
    assert "cannot be turned back" not in told
    assert "a one-way fingerprint, so that we know it unsubscribed, and nothing else" in told


# --- follows that can bring nothing more -------------------------------------------------------


def test_the_worker_ends_follows_of_finished_consultations_and_unsubscribes_who_is_left_with_none(
    app, clock, runner, make_consultation
):
    def finished(slug: str, outcome_ago: timedelta) -> Consultation:
        return make_consultation(
            slug=slug,
            opens_at=clock.now - 30 * DAY,
            closes_at=clock.now - 20 * DAY,
            outcome_published_at=clock.now - outcome_ago,
        )

    done = finished("done", ANNOUNCE_WITHIN + SECOND)
    recent = finished("recent", DAY)  # its outcome's news can still go
    going = make_consultation(slug="going")
    gone = make_consultation(slug="gone")
    confirmed(clock, "only@example.org", site_updates=False, follows=[done])
    confirmed(clock, "also@example.org", site_updates=True, follows=[done])
    confirmed(clock, "other@example.org", site_updates=False, follows=[done, going])
    confirmed(clock, "recent@example.org", site_updates=False, follows=[recent])
    confirmed(clock, "deleted@example.org", site_updates=False, follows=[gone])
    db.session.execute(delete(Consultation).where(Consultation.id == gone.id))
    db.session.commit()

    send(runner)

    def follows(email: str) -> list[str]:
        return sorted(follow.consultation.slug for follow in stored(email).follows)

    for email in ("only@example.org", "deleted@example.org"):
        left = stored(email)
        assert (left.status, left.email, left.name) == (UNSUBSCRIBED, None, "")
    assert stored("also@example.org").status == CONFIRMED
    assert follows("also@example.org") == []
    assert follows("other@example.org") == ["going"]
    assert follows("recent@example.org") == ["recent"]
    assert stored("recent@example.org").status == CONFIRMED


def test_the_housekeeping_changes_nothing_while_nothing_is_finished(app, clock, make_consultation):
    confirmed(clock, ADA, follows=[make_consultation()])
    clock.advance(days=CONFIRM_WITHIN.days)
    assert subscriptions.end_finished_follows(clock.now) == 0
    assert stored(ADA).status == CONFIRMED


# --- queueing a mailing in a short transaction -------------------------------------------------


@pytest.fixture
def order_of_events(app):
    """What happens, in order: ("sql", statement) and ("render", template name)."""
    events: list[tuple[str, str]] = []

    def statement(conn, cursor, sql, *args) -> None:
        events.append(("sql", sql.lstrip().upper()))

    def rendered(sender, template, context, **extra) -> None:
        events.append(("render", template.name))

    event.listen(db.engine, "before_cursor_execute", statement)
    template_rendered.connect(rendered, app)
    try:
        yield events
    finally:
        template_rendered.disconnect(rendered, app)
        event.remove(db.engine, "before_cursor_execute", statement)


def assert_written_before_any_write(events: list[tuple[str, str]]) -> None:
    """No INSERT, UPDATE or DELETE comes before the last email is rendered and the last
    recipient's address read: the write lock is taken only once all is written."""
    writes = [
        n
        for n, (what, text) in enumerate(events)
        if what == "sql" and text.startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    renders = [n for n, (what, _) in enumerate(events) if what == "render"]
    addresses = [
        n
        for n, (what, text) in enumerate(events)
        if what == "sql" and text.startswith("SELECT") and "SUBSCRIBER.EMAIL," in text
    ]
    assert writes and renders and addresses
    assert min(writes) > max(renders)
    assert min(writes) > max(addresses)


def test_sending_an_update_writes_its_emails_before_claiming_it(app, clock, order_of_events):
    for n in range(3):
        confirmed(clock, f"person{n}@example.org")
    mailing = Mailing(kind="update", subject="News", body="Some news.", created_by="admin")
    db.session.add(mailing)
    db.session.commit()
    order_of_events.clear()

    assert mailings.send_update(mailing, mailings.SUBSCRIBERS, None, "admin", clock.now)

    assert_written_before_any_write(order_of_events)
    assert len(queued("mailing_update")) == 3
    assert not mailings.send_update(mailing, mailings.SUBSCRIBERS, None, "admin", clock.now)
    assert len(queued("mailing_update")) == 3


def test_news_is_written_before_its_mailing_is_added(
    app, clock, make_consultation, order_of_events
):
    opens = clock.now + 3 * DAY
    consultation = make_consultation(opens_at=opens, closes_at=opens + 28 * DAY)
    confirmed(clock, ADA, site_updates=True)
    confirmed(clock, "fola@example.org", site_updates=False, follows=[consultation])
    clock.set(opens)
    order_of_events.clear()

    assert mailings.queue_announcements(clock.now) == 2

    assert_written_before_any_write(order_of_events)
    db.session.rollback()
    [mailing] = db.session.scalars(select(Mailing))
    assert (mailing.kind, mailing.recipients, mailing.consultation_id) == (
        "opened",
        2,
        consultation.id,
    )
    assert mailings.queue_announcements(clock.now) == 0
