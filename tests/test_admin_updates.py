"""Email updates in the admin area: the counts, the CSV files, and an update written,
previewed, tried on oneself, sent and watched as the outbox worker delivers it.

Subscribers are stored straight with the models (the sign-up pages are tested on their
own); everything an admin does goes through the pages, and every email is read back from
the real SMTP server after `flask outbox work`.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from flask.testing import FlaskClient
from sqlalchemy import func, insert, select

from app.extensions import db
from app.mail.notifications import notify_submission
from app.models import (
    CONFIRMED,
    PENDING_SUBSCRIBER,
    UNSUBSCRIBED,
    AdminUser,
    AuditEvent,
    Consultation,
    Follow,
    Mailing,
    OutboxEmail,
    Subscriber,
)
from app.updates import mailings, subscriptions, tokens
from tests.support.clients import UncheckedClient, new_browser
from tests.support.concurrency import at_once
from tests.support.factories import (
    ADMIN_EMAIL,
    OFFICER_EMAIL,
    AuthActions,
    csrf_token,
)
from tests.support.outbox import make_submission, work
from tests.support.pages import field_error, page, summary_links, text_of, value_of

UPDATES = "/admin/updates"
NEW = "/admin/updates/new"
SUBJECT = "Our plans for the spring"
BODY = "## What comes next\n\nWe will open **three** consultations.\n\n- Parks\n- Libraries"
SECOND_ADMIN = "second.admin@example.org"
SECOND_PASSWORD = "another correct horse"


# --- arranging --------------------------------------------------------------------------------


def subscriber(
    email: str,
    *,
    status: str = CONFIRMED,
    site_updates: bool = True,
    follows: tuple[Consultation, ...] = (),
    name: str = "",
    source: str = "/updates/sign-up",
    now=None,
) -> Subscriber:
    """An address, stored as signing up and confirming would leave it."""
    person = Subscriber(
        email_hash=subscriptions.address_hash(email),
        email=None if status == UNSUBSCRIBED else email,
        name=name,
        status=status,
        site_updates=site_updates,
        consent_at=now if site_updates else None,
        consent_source=source if site_updates else "",
        consent_wording=subscriptions.CONSENT_WORDING if site_updates else "",
        signed_up_at=now,
        confirmed_at=now if status == CONFIRMED else None,
    )
    for consultation in follows:
        person.follows.append(
            Follow(
                consultation=consultation,
                created_at=now,
                consent_source=f"/consultations/{consultation.slug}",
                consent_wording=subscriptions.CONSENT_WORDING,
            )
        )
    db.session.add(person)
    db.session.commit()
    return person


@pytest.fixture
def parks(make_consultation) -> Consultation:
    return make_consultation(slug="parks", title="Parks and open spaces")


@pytest.fixture
def libraries(make_consultation) -> Consultation:
    return make_consultation(slug="libraries", title="Library opening hours")


@pytest.fixture
def people(clock, parks, libraries) -> dict[str, int]:
    """Confirmed, pending and unsubscribed addresses, signed up or following: their ids."""
    now = clock.now
    added = {
        "ana": subscriber("ana@example.org", name="Ana Silva", now=now),
        "ben": subscriber("ben@example.org", follows=(parks,), now=now),
        "cai": subscriber("cai@example.org", site_updates=False, follows=(parks,), now=now),
        "dev": subscriber("dev@example.org", site_updates=False, follows=(libraries,), now=now),
        "eve": subscriber("eve@example.org", status=PENDING_SUBSCRIBER, follows=(parks,), now=now),
        "fay": subscriber("fay@example.org", status=PENDING_SUBSCRIBER, now=now),
        "gus": subscriber("gus@example.org", status=UNSUBSCRIBED, site_updates=False, now=now),
    }
    return {name: person.id for name, person in added.items()}


def add_admin(email: str = SECOND_ADMIN, password: str = SECOND_PASSWORD) -> None:
    user = AdminUser(email=email, role="admin")
    user.set_password(password)
    db.session.add(user)
    db.session.commit()


def signed_in(app, email: str, password: str, client_class=None) -> FlaskClient:
    browser = new_browser(app, client_class) if client_class else new_browser(app)
    assert AuthActions(browser).login(email, password).status_code == 303
    return browser


# --- acting through the pages ----------------------------------------------------------------


def post(client: FlaskClient, url: str, form_page: str, **data):
    """POST `data` with the CSRF token from the form on `form_page`."""
    return client.post(url, data={"csrf_token": csrf_token(client, form_page), **data})


def write(client: FlaskClient, subject: str = SUBJECT, body: str = BODY) -> int:
    """Write an update; its mailing's id."""
    saved = post(client, NEW, NEW, subject=subject, body=body)
    assert saved.status_code == 303, saved.status_code
    match = re.fullmatch(r"/admin/updates/(\d+)", urlsplit(saved.headers["Location"]).path)
    assert match, saved.headers["Location"]
    return int(match.group(1))


def update_url(mailing_id: int, action: str = "") -> str:
    return f"/admin/updates/{mailing_id}{'/' + action if action else ''}"


def choose(client: FlaskClient, mailing_id: int, consultation: Consultation | None = None):
    """Choose the audience on the send page; the page that asks to be sure."""
    url = update_url(mailing_id, "send")
    if consultation is None:
        return post(client, url, url, audience="subscribers")
    return post(client, url, url, audience="followers", consultation=str(consultation.id))


def send(client: FlaskClient, mailing_id: int, consultation: Consultation | None = None):
    """Choose the audience, then press the button on the page that asks to be sure."""
    checking = choose(client, mailing_id, consultation)
    assert checking.status_code == 200, checking.status_code
    button = page(checking).find("button", string=re.compile("^Send to"))
    assert button is not None
    form = button.find_parent("form")
    data = {field["name"]: field.get("value", "") for field in form.find_all("input")}
    assert data["confirmed"] == "yes"
    return client.post(form["action"], data=data)


def flashes(response) -> list[str]:
    return [text_of(notice) for notice in page(response).select("#flashes .notice")]


# --- reading what was stored and sent --------------------------------------------------------


def mailing_rows(mailing_id: int) -> list[OutboxEmail]:
    db.session.rollback()
    return list(db.session.scalars(select(OutboxEmail).filter_by(mailing_id=mailing_id)))


def audit(action: str) -> list[AuditEvent]:
    db.session.rollback()
    return list(db.session.scalars(select(AuditEvent).filter_by(action=action)))


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline="")))


def unsubscribe_link(received) -> str:
    header = str(received.message["List-Unsubscribe"])
    assert header.startswith("<") and header.endswith(">"), header
    return header[1:-1]


# --- the counts ------------------------------------------------------------------------------


def test_the_page_counts_confirmed_subscribers_pending_sign_ups_and_followers(
    admin, people, parks, libraries
):
    shown = admin.get(UPDATES)

    assert shown.status_code == 200
    soup = page(shown)
    counts = {text_of(row.dt): text_of(row.dd) for row in soup.select("dl.summary-list > div")}
    assert counts["Subscribed to updates"].startswith("2 people")  # ana and ben
    assert counts["Not confirmed yet"] == "2 people"  # eve and fay
    # The count, before the link to the followers' CSV file.
    followers = {
        text_of(row.find_all("td")[0]): text_of(row.find_all("td")[1]).split(" (")[0]
        for row in soup.select("table tbody tr")
    }
    # eve follows the parks too, but has not confirmed; gus unsubscribed.
    assert followers["Parks and open spaces"] == "2"
    assert followers["Library opening hours"] == "1"
    assert soup.find("a", href="/admin/updates/subscribers.csv") is not None
    assert soup.find("a", href="/admin/consultations/parks/followers.csv") is not None


def test_the_admin_menu_leads_to_email_updates(admin):
    menu = page(admin.get("/admin/")).find("nav", attrs={"aria-label": "Admin"})
    assert menu.find("a", string="Email updates")["href"] == UPDATES


# --- writing and previewing ------------------------------------------------------------------


def test_an_update_is_saved_as_a_draft_and_previewed_as_the_email(admin, app):
    mailing_id = write(admin, SUBJECT, BODY + "\n\n<script>alert(1)</script> [x](javascript:x)")

    shown = admin.get(update_url(mailing_id))
    soup = page(shown)
    assert text_of(soup.find("h1")) == SUBJECT
    assert "Your update is saved as a draft" in " ".join(flashes(shown))
    frame = soup.find("iframe")
    assert frame["src"] == update_url(mailing_id, "email.html")
    assert frame.has_attr("sandbox") and frame["title"]
    text = text_of(soup.find(class_="kept-answer"))
    assert "## What comes next" in text
    assert "you signed up for updates from our site" in text

    html_client = signed_in(app, ADMIN_EMAIL, "correct horse battery", UncheckedClient)
    email = html_client.get(update_url(mailing_id, "email.html"))
    assert email.status_code == 200
    policy = email.headers["Content-Security-Policy"]
    assert "style-src 'unsafe-inline'" in policy and "script-src" not in policy
    assert "frame-ancestors 'self'" in policy
    html = email.get_data(as_text=True)
    assert f"<title>{SUBJECT}</title>" in html
    assert '<h2 style="font-size:21px;">What comes next</h2>' in html  # smaller than its h1
    assert "<strong>three</strong>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="javascript' not in html
    assert "/updates/unsubscribe/" in html

    stored = db.session.get(Mailing, mailing_id)
    assert (stored.kind, stored.subject, stored.queued_at) == ("update", SUBJECT, None)
    assert stored.created_by == ADMIN_EMAIL
    assert [event.detail for event in audit("draft_update")] == [f"Wrote '{SUBJECT}'"]


@pytest.mark.parametrize(
    "subject, body, field, message",
    [
        ("", BODY, "subject", "Enter a subject"),
        ("   ", BODY, "subject", "Enter a subject"),
        ("x" * 151, BODY, "subject", "Enter 150 characters or fewer"),
        (SUBJECT, "", "body", "Enter the update"),
        (SUBJECT, "y" * 20_001, "body", "Enter 20,000 characters or fewer"),
    ],
)
def test_a_refused_update_says_why_and_keeps_what_was_typed(admin, subject, body, field, message):
    refused = post(admin, NEW, NEW, subject=subject, body=body)

    assert refused.status_code == 422
    assert page(refused).title.get_text().startswith("Error: ")
    assert summary_links(refused) == {message: field}
    assert field_error(refused, field) == message
    assert value_of(refused, "subject") == subject.strip()
    assert value_of(refused, "body").removeprefix("\n") == body.strip()
    assert db.session.scalar(select(func.count()).select_from(Mailing)) == 0
    assert audit("draft_update") == []


def test_a_subject_typed_over_several_lines_is_kept_on_one(admin):
    mailing_id = write(admin, subject="Our plans\r\nfor   the spring")
    assert db.session.get(Mailing, mailing_id).subject == "Our plans for the spring"


def test_a_draft_can_be_changed_until_it_is_sent(admin, people):
    mailing_id = write(admin)
    edit = update_url(mailing_id, "edit")
    assert value_of(admin.get(edit), "subject") == SUBJECT

    changed = post(admin, edit, edit, subject="Spring plans", body="Now shorter.")
    assert changed.status_code == 303
    db.session.rollback()
    stored = db.session.get(Mailing, mailing_id)
    assert (stored.subject, stored.body) == ("Spring plans", "Now shorter.")
    assert [event.detail for event in audit("change_update")] == ["Changed 'Spring plans'"]

    token = csrf_token(admin, edit)
    assert send(admin, mailing_id).status_code == 303
    too_late = admin.post(edit, data={"csrf_token": token, "subject": "Late", "body": "Late."})
    assert too_late.status_code == 303
    assert "cannot be changed" in " ".join(flashes(admin.get(too_late.headers["Location"])))
    assert admin.get(edit).status_code == 303
    db.session.rollback()
    assert db.session.get(Mailing, mailing_id).subject == "Spring plans"
    sent_page = page(admin.get(update_url(mailing_id)))
    assert sent_page.find("a", href=edit) is None
    assert sent_page.find("form", action=update_url(mailing_id, "test")) is None


def test_an_updates_links_work_from_a_mail_client_and_its_images_are_not_fetched(
    admin, app, people, runner, smtp_server
):
    body = (
        "Read [the parks consultation](/consultations/parks) or [the news](https://example.org/n)."
        "\n\n![A map of the parks](https://tracker.example.net/pixel.png)"
    )
    mailing_id = write(admin, body=body)
    html_client = signed_in(app, ADMIN_EMAIL, "correct horse battery", UncheckedClient)

    preview = html_client.get(update_url(mailing_id, "email.html")).get_data(as_text=True)
    post(admin, update_url(mailing_id, "test"), update_url(mailing_id))
    work(runner)
    (test,) = smtp_server.received

    site = app.config["SITE_URL"].rstrip("/")
    for html in (preview, test.html):
        body_html = BeautifulSoup(html, "html.parser")
        links = {text_of(a): a["href"] for a in body_html.find_all("a")}
        assert links["the parks consultation"] == f"{site}/consultations/parks"
        assert links["the news"] == "https://example.org/n"
        assert body_html.find("img") is None and "tracker.example.net" not in html
        assert "A map of the parks" in text_of(body_html)


def test_an_updates_text_part_has_its_links_made_absolute_and_its_code_as_written(
    admin, app, people, runner, smtp_server
):
    body = (
        "Read [the parks consultation](/consultations/parks), [the news][news] or"
        " [elsewhere](https://example.org/n). Type `[a link](/like/this)`.\n\n"
        "    [indented code](/stays)\n\n"
        '[news]: /news "Our news"\n'
    )
    mailing_id = write(admin, body=body)
    assert send(admin, mailing_id).status_code == 303
    work(runner)

    site = app.config["SITE_URL"].rstrip("/")
    [received] = smtp_server.to("ana@example.org")
    assert f"[the parks consultation]({site}/consultations/parks)" in received.text
    assert f'[news]: {site}/news "Our news"' in received.text
    assert "[elsewhere](https://example.org/n)" in received.text
    assert "`[a link](/like/this)`" in received.text
    assert "    [indented code](/stays)" in received.text


# --- a test to oneself -----------------------------------------------------------------------


def test_a_test_goes_to_the_admin_alone_marked_and_without_unsubscribe_headers(
    admin, people, runner, smtp_server
):
    mailing_id = write(admin)
    here = update_url(mailing_id)

    tested = post(admin, update_url(mailing_id, "test"), here)
    assert tested.status_code == 303
    assert f"A test has been sent to {ADMIN_EMAIL}." in flashes(admin.get(here))
    work(runner)

    assert [message.rcpt_tos for message in smtp_server.received] == [[ADMIN_EMAIL]]
    test = smtp_server.received[0]
    assert test.message["Subject"] == f"[Test] {SUBJECT}"
    assert test.message["List-Unsubscribe"] is None
    assert test.message["List-Unsubscribe-Post"] is None
    assert "<strong>three</strong>" in test.html
    assert "We will open **three** consultations." in test.text
    assert mailing_rows(mailing_id) == []  # not one of the update's emails
    db.session.rollback()
    assert db.session.get(Mailing, mailing_id).queued_at is None
    assert [event.actor for event in audit("test_update")] == [ADMIN_EMAIL]


# --- sending ---------------------------------------------------------------------------------


def test_sending_to_subscribers_reaches_each_confirmed_one_once_with_its_own_unsubscribe_link(
    admin, app, clock, people, make_consultation, runner, smtp_server
):
    mailing_id = write(admin)
    notify_submission(
        make_submission(make_consultation(), "EV-RCPT", clock.now, email="resp@example.org"),
        clock.now,
    )
    db.session.commit()

    checking = choose(admin, mailing_id)
    assert checking.status_code == 200
    assert text_of(page(checking).find("h1")) == f"Send “{SUBJECT}” to 2 people?"
    assert mailing_rows(mailing_id) == []  # nothing is sent before the button is pressed

    sent = send(admin, mailing_id)
    assert sent.status_code == 303
    assert "Your update is being sent to 2 people." in flashes(admin.get(sent.headers["Location"]))
    work(runner)

    updates = [m for m in smtp_server.received if m.message["Subject"] == SUBJECT]
    assert sorted(m.rcpt_tos[0] for m in updates) == ["ana@example.org", "ben@example.org"]
    for message in updates:
        link = unsubscribe_link(message)
        assert message.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert link in message.text and link in message.html
        scope = tokens.read_unsubscribe_token(link.rsplit("/", 1)[1])
        assert scope == tokens.UnsubscribeScope(people[message.rcpt_tos[0][:3]], None)
        assert "you signed up for updates from our site" in message.text
    assert len({unsubscribe_link(m) for m in updates}) == 2
    # The receipt and the officer's alert are not marketing: no unsubscribe headers.
    others = [m for m in smtp_server.received if m not in updates]
    assert len(others) == 2
    assert all(m.message["List-Unsubscribe"] is None for m in others)

    db.session.rollback()
    stored = db.session.get(Mailing, mailing_id)
    assert (stored.audience, stored.queued_by, stored.recipients) == ("subscribers", ADMIN_EMAIL, 2)
    [event] = audit("send_update")
    assert event.actor == ADMIN_EMAIL and "every subscriber (2 emails)" in event.detail


def test_sending_to_followers_reaches_the_confirmed_followers_of_that_consultation_only(
    admin, people, parks, runner, smtp_server
):
    parks_id = parks.id
    mailing_id = write(admin)
    form = page(admin.get(update_url(mailing_id, "send")))
    options = [text_of(option) for option in form.select("select[name=consultation] option")]
    assert "Parks and open spaces (2 people)" in options
    assert "Library opening hours (1 person)" in options

    checking = choose(admin, mailing_id, parks)
    assert text_of(page(checking).find("h1")) == f"Send “{SUBJECT}” to 2 people?"
    assert send(admin, mailing_id, parks).status_code == 303
    work(runner)

    assert sorted(m.rcpt_tos[0] for m in smtp_server.received) == [
        "ben@example.org",
        "cai@example.org",
    ]
    for message in smtp_server.received:
        assert 'you follow "Parks and open spaces" on our site' in message.text
        scope = tokens.read_unsubscribe_token(unsubscribe_link(message).rsplit("/", 1)[1])
        assert scope.consultation_id == parks_id
    db.session.rollback()
    stored = db.session.get(Mailing, mailing_id)
    assert (stored.audience, stored.consultation_id) == ("followers", parks_id)
    sent_page = page(admin.get(update_url(mailing_id)))
    assert "The followers of Parks and open spaces (2 people)" in text_of(sent_page)


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({}, "audience", "Select who should get this update"),
        ({"audience": "everyone"}, "audience", "Select one of the options shown"),
        ({"audience": "followers"}, "consultation", "Select a consultation"),
        ({"audience": "followers", "consultation": "999"}, "consultation", "Select one of"),
    ],
)
def test_a_send_without_a_real_audience_is_refused(admin, people, data, field, message):
    mailing_id = write(admin)
    url = update_url(mailing_id, "send")

    refused = post(admin, url, url, **data)

    assert refused.status_code == 422
    assert field_error(refused, field).startswith(message)
    assert mailing_rows(mailing_id) == []
    db.session.rollback()
    assert db.session.get(Mailing, mailing_id).queued_at is None


def test_an_audience_nobody_is_in_is_refused(admin, make_consultation):
    quiet = make_consultation(slug="quiet", title="Quiet consultation")
    mailing_id = write(admin)
    url = update_url(mailing_id, "send")

    nobody = post(admin, url, url, audience="subscribers")
    assert field_error(nobody, "audience") == "Nobody is subscribed to updates yet"
    unfollowed = post(admin, url, url, audience="followers", consultation=str(quiet.id))
    assert field_error(unfollowed, "consultation") == "Nobody follows that consultation yet"
    db.session.rollback()
    assert db.session.get(Mailing, mailing_id).queued_at is None


def test_pressing_send_twice_queues_once_and_says_who_sent_it(admin, people):
    mailing_id = write(admin)
    checking = choose(admin, mailing_id)
    form = page(checking).find("button", string=re.compile("^Send to")).find_parent("form")
    data = {field["name"]: field.get("value", "") for field in form.find_all("input")}

    first = admin.post(form["action"], data=data)
    second = admin.post(form["action"], data=data)

    assert first.status_code == second.status_code == 303
    assert len(mailing_rows(mailing_id)) == 2
    shown = flashes(admin.get(second.headers["Location"]))
    assert any(
        message.startswith(f"This update was already sent by {ADMIN_EMAIL} at ")
        for message in shown
    ), shown
    assert len(audit("send_update")) == 1
    assert admin.get(update_url(mailing_id, "send")).status_code == 303


def test_two_admins_sending_at_once_queue_it_once(app, admin, people):
    add_admin()
    other = signed_in(app, SECOND_ADMIN, SECOND_PASSWORD)
    mailing_id = write(admin)
    forms = []
    for client in (admin, other):
        checking = choose(client, mailing_id)
        form = page(checking).find("button", string=re.compile("^Send to")).find_parent("form")
        data = {field["name"]: field.get("value", "") for field in form.find_all("input")}
        forms.append((client, form["action"], data))

    answers = at_once(
        [lambda c=c, u=u, d=d: c.post(u, data=d) for c, u, d in forms], context=app.app_context
    )

    assert [answer.status_code for answer in answers] == [303, 303]
    assert len(mailing_rows(mailing_id)) == 2
    assert sorted(row.subscriber_id for row in mailing_rows(mailing_id)) == sorted(
        [people["ana"], people["ben"]]
    )
    messages = [
        " ".join(flashes(client.get(answer.headers["Location"])))
        for (client, _, _), answer in zip(forms, answers, strict=True)
    ]
    db.session.rollback()
    sender = db.session.get(Mailing, mailing_id).queued_by
    assert sender in (ADMIN_EMAIL, SECOND_ADMIN)
    assert sum("Your update is being sent to 2 people." in m for m in messages) == 1
    assert sum(f"This update was already sent by {sender} at " in m for m in messages) == 1
    assert len(audit("send_update")) == 1


# --- progress --------------------------------------------------------------------------------


def test_the_progress_counts_change_as_the_worker_delivers(admin, people, runner, smtp_server):
    mailing_id = write(admin)
    send(admin, mailing_id)
    here = update_url(mailing_id)

    before = page(admin.get(here))
    assert text_of(before.find(id="progress-queued")) == "2"
    assert text_of(before.find(id="progress-sent")) == "0"
    counts = before.find(id="progress-counts")
    assert counts.parent["aria-live"] == "polite"  # a region that stays while counts change
    assert counts.find("a") is None  # no link is swapped away from under the keyboard
    assert before.find(id="progress-refresh").find("a", href=here) is not None  # Refresh
    polled = admin.get(here, headers={"HX-Request": "true"})
    assert polled.status_code == 200 and "Vary" in polled.headers
    fragment = page(polled)
    assert fragment.find("h1") is None and fragment.find("h2") is None
    assert fragment.find("a") is None
    assert fragment.find(id="progress-counts")["hx-trigger"] == "every 3s"
    assert fragment.find(id="progress-counts")["hx-get"] == here
    assert fragment.find(id="progress-counts")["hx-swap"] == "outerHTML"
    assert fragment.find(id="progress-refresh") is None

    work(runner)

    after = page(admin.get(here, headers={"HX-Request": "true"}))
    assert text_of(after.find(id="progress-queued")) == "0"
    assert text_of(after.find(id="progress-sent")) == "2"
    assert not after.find(id="progress-counts").has_attr("hx-trigger")  # the polling stops
    assert after.find(id="progress-refresh")["hx-swap-oob"] == "delete"  # and Refresh goes
    assert page(admin.get(here)).find(id="progress-refresh") is None
    listed = page(admin.get(UPDATES))
    item = listed.find("a", href=here).find_parent("li")
    assert "0 queued, 2 sent, 0 failed" in text_of(item)


def test_a_failed_email_is_counted_and_leads_to_the_outbox(
    admin, clock, people, runner, smtp_server
):
    broken = "=?utf-8?q?x?=@example.org"  # cannot be written in a header: fails for good
    subscriber(broken, now=clock.now)
    mailing_id = write(admin)
    send(admin, mailing_id)
    work(runner)

    shown = page(admin.get(update_url(mailing_id)))
    assert text_of(shown.find(id="progress-sent")) == "2"
    assert text_of(shown.find(id="progress-failed")) == "1"
    outbox_link = shown.find(id="progress").find("a", string="list of failed emails in the outbox")
    assert outbox_link["href"] == "/admin/outbox?status=failed"
    outbox_page = page(admin.get("/admin/outbox?status=failed"))
    assert SUBJECT in text_of(outbox_page)
    assert "Retry the email to =?utf-8?q?x?=@example.org" in [
        text_of(button) for button in outbox_page.find_all("button")
    ]


def test_an_address_unsubscribed_after_queueing_is_counted_as_not_sent(admin, clock, people):
    mailing_id = write(admin)
    send(admin, mailing_id)
    subscriptions.unsubscribe(db.session.get(Subscriber, people["ana"]), clock.now)

    shown = page(admin.get(update_url(mailing_id)))

    assert text_of(shown.find(id="progress-queued")) == "1"
    assert text_of(shown.find(id="progress-stopped")) == (
        "1: the person unsubscribed after it was queued"
    )


def test_news_the_site_sent_is_listed_with_its_progress(admin, clock, people, parks):
    parks.opens_at = clock.now + timedelta(hours=1)
    db.session.commit()
    clock.advance(hours=1)
    assert mailings.queue_announcements(clock.now) == 3  # as the worker does at the opening
    news_id = db.session.scalar(select(Mailing.id).filter_by(key=f"opened:{parks.id}"))
    clock.advance(minutes=5)
    write(admin)
    clock.advance(minutes=5)
    write(admin, subject="A later draft")

    listed = page(admin.get(UPDATES))
    titles = [text_of(h3) for h3 in listed.select(".admin-item-title")]
    assert titles == ["A later draft", SUBJECT, "Now open: Parks and open spaces"]
    item = listed.find("a", href=update_url(news_id)).find_parent("li")
    assert "Sent automatically" in text_of(item)
    assert "Everyone subscribed to updates, and the followers of Parks" in text_of(item)
    assert "3 queued, 0 sent, 0 failed" in text_of(item)  # ana, ben and cai
    assert admin.get(update_url(news_id, "edit")).status_code == 404
    assert admin.get(update_url(news_id, "email.html")).status_code == 404
    shown = page(admin.get(update_url(news_id)))
    assert text_of(shown.find("h1")) == "Now open: Parks and open spaces"
    assert text_of(shown.find(id="progress-queued")) == "3"


# --- CSV files -------------------------------------------------------------------------------


def test_the_subscribers_csv_has_every_confirmed_subscriber_and_is_formula_safe(
    admin, clock, people
):
    subscriber("=cmd@example.org", name='=HYPERLINK("http://x")', source="+bad", now=clock.now)

    rows = read_csv(admin.get("/admin/updates/subscribers.csv"))

    assert rows[0] == [
        "Email address",
        "Name",
        "Confirmed",
        "Consent given",
        "Consent source",
        "Consent wording",
    ]
    by_email = {row[0]: row for row in rows[1:]}
    assert set(by_email) == {"ana@example.org", "ben@example.org", "'=cmd@example.org"}
    assert by_email["ana@example.org"][1] == "Ana Silva"
    assert by_email["ana@example.org"][2] == "2027-02-01 12:00"  # GMT in February
    assert by_email["ana@example.org"][4:] == ["/updates/sign-up", subscriptions.CONSENT_WORDING]
    assert by_email["'=cmd@example.org"][1] == '\'=HYPERLINK("http://x")'
    assert by_email["'=cmd@example.org"][4] == "'+bad"
    [event] = audit("export_subscribers")
    assert (event.actor, event.detail) == (ADMIN_EMAIL, "Exported 3 subscribers as CSV")


def test_the_followers_csv_has_the_confirmed_followers_of_one_consultation(admin, people, parks):
    download = admin.get("/admin/consultations/parks/followers.csv")

    rows = read_csv(download)
    assert "parks-followers-2027-02-01.csv" in download.headers["Content-Disposition"]
    assert download.headers["Cache-Control"] == "no-store"
    assert sorted(row[0] for row in rows[1:]) == ["ben@example.org", "cai@example.org"]
    assert {row[4] for row in rows[1:]} == {"/consultations/parks"}
    [event] = audit("export_subscribers")
    assert event.consultation_id == parks.id
    assert event.detail == "Exported 2 followers of Parks and open spaces as CSV"
    assert admin.get("/admin/consultations/nowhere/followers.csv").status_code == 404


# --- who may do what -------------------------------------------------------------------------


def test_signed_out_people_are_sent_to_sign_in_and_nothing_is_sent(app, admin, people):
    mailing_id = write(admin)
    stranger = new_browser(app)
    token = csrf_token(stranger, "/admin/login")
    urls = [
        UPDATES,
        NEW,
        update_url(mailing_id),
        update_url(mailing_id, "edit"),
        update_url(mailing_id, "email.html"),
        update_url(mailing_id, "send"),
        "/admin/updates/subscribers.csv",
        "/admin/consultations/parks/followers.csv",
    ]
    for url in urls:
        answer = stranger.get(url)
        assert answer.status_code == 302, url
        assert urlsplit(answer.headers["Location"]).path == "/admin/login", url
    for url in (update_url(mailing_id, "send"), update_url(mailing_id, "test")):
        data = {"csrf_token": token, "audience": "subscribers", "confirmed": "yes"}
        answer = stranger.post(url, data=data)
        assert urlsplit(answer.headers["Location"]).path == "/admin/login", url
    assert db.session.scalar(select(func.count()).select_from(OutboxEmail)) == 0
    assert audit("export_subscribers") == []
    # The public pages never lead to the admin area's updates.
    assert UPDATES not in stranger.get("/").get_data(as_text=True)


def test_an_officer_writes_and_tests_but_only_an_admin_sends(app, officer, people, runner):
    mailing_id = write(officer)
    shown = page(officer.get(update_url(mailing_id)))
    assert shown.find("a", href=update_url(mailing_id, "send")) is None
    assert "Only an admin can send an update" in text_of(shown)

    tested = post(officer, update_url(mailing_id, "test"), update_url(mailing_id))
    assert tested.status_code == 303
    assert officer.get(update_url(mailing_id, "send")).status_code == 403
    token = csrf_token(officer, update_url(mailing_id))
    refused = officer.post(
        update_url(mailing_id, "send"),
        data={"csrf_token": token, "audience": "subscribers", "confirmed": "yes"},
    )
    assert refused.status_code == 403
    assert officer.get("/admin/updates/subscribers.csv").status_code == 200

    db.session.rollback()
    assert db.session.get(Mailing, mailing_id).queued_at is None
    assert mailing_rows(mailing_id) == []
    assert [row.to_addr for row in db.session.scalars(select(OutboxEmail))] == [OFFICER_EMAIL]


# --- many recipients -------------------------------------------------------------------------


def test_ten_thousand_subscribers_get_ten_thousand_rows_each_with_its_own_link_and_id(admin, clock):
    now = clock.now
    db.session.execute(
        insert(Subscriber),
        [
            {
                "email_hash": subscriptions.address_hash(f"person{n}@example.org"),
                "email": f"person{n}@example.org",
                "status": CONFIRMED,
                "site_updates": True,
                "signed_up_at": now - timedelta(days=1),
                "confirmed_at": now,
            }
            for n in range(10_000)
        ],
    )
    db.session.commit()
    mailing_id = write(admin)

    assert send(admin, mailing_id).status_code == 303

    db.session.rollback()
    rows = db.session.execute(
        select(OutboxEmail.to_addr, OutboxEmail.unsubscribe_url, OutboxEmail.message_id).where(
            OutboxEmail.mailing_id == mailing_id
        )
    ).all()
    assert len(rows) == 10_000
    assert len({row.to_addr for row in rows}) == 10_000
    assert len({row.unsubscribe_url for row in rows}) == 10_000
    assert len({row.message_id for row in rows}) == 10_000
    assert db.session.get(Mailing, mailing_id).recipients == 10_000
