"""Email updates, as people meet them: signing up (on its page, the home page and a
consultation's page), "Check your email", the confirmation email read from a real SMTP
server and its link, following a consultation, and the page an unsubscribe link opens,
with the one-click POST a mail client sends (RFC 8058).

Forms are filled in as a browser would: the page is loaded, the test clock moves on like
a person typing (the minimum-time guard), and the form is sent with its hidden fields.
Junk thrown at these forms is in tests/test_updates_fuzz.py, which uses the steps below.
"""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from app.extensions import db
from app.mail import outbox as mail_outbox
from app.models import (
    CONFIRMED,
    PENDING_SUBSCRIBER,
    UNSUBSCRIBED,
    Follow,
    Mailing,
    OutboxEmail,
    Subscriber,
)
from app.updates import mailings, subscriptions
from tests.support.clients import UncheckedClient, new_browser
from tests.support.factories import SLUG, TITLE, csrf_token
from tests.support.pages import field_error, h1_text, page, redirect_path, summary_links, text_of

ADA = "ada@example.org"
SIGN_UP = "/updates/sign-up"
# Signing up asks for no CSRF token (CSRFProtect.origin_only): this page's form has one.
A_PAGE_WITH_A_TOKEN = "/your-response/new-link"
CHECK = "/updates/check-your-email"
FOLLOW = f"/consultations/{SLUG}/follow"
CONSULTATION = f"/consultations/{SLUG}"
CONFIRM_LINK = re.compile(r"https?://\S+(/updates/confirm/\S+)")
MANAGE_LINK = re.compile(r"https?://\S+(/updates/unsubscribe/\S+)")
EXPIRED = "This link has expired or does not work"
PROMISE = (
    "We will never send you spam, and we will never give your email address or name to"
    " another organisation."
)
SITE_UPDATES = (
    "We will email you when a consultation opens, and now and then with news from the team:"
    " no more than about once a month."
)


# --- steps shared with the fuzz tests ----------------------------------------------------------


def form_to(shown, action: str):
    """The form on the page `shown` that is sent to `action`."""
    found = page(shown).find("form", action=action)
    assert found is not None, f"no form sent to {action}"
    return found


def hidden_of(form) -> dict[str, str]:
    return {
        field["name"]: field.get("value", "")
        for field in form.find_all("input", attrs={"type": "hidden"})
    }


def open_and_send(browser, clock, path: str, fields: dict, action: str = "", seconds=5):
    """Open the page at `path`, wait like a person, and send its form to `action` (the
    page's own address by default) with its hidden fields and `fields`."""
    shown = browser.get(path)
    assert shown.status_code == 200, (path, shown.status_code)
    clock.advance(seconds=seconds)
    form = form_to(shown, action or path)
    return browser.post(form["action"], data={**hidden_of(form), "website": "", **fields})


def sign_up(browser, clock, email: str = ADA, seconds=5, **fields):
    return open_and_send(browser, clock, SIGN_UP, {"email": email, **fields}, seconds=seconds)


def follow(browser, clock, email: str = ADA, **fields):
    return open_and_send(browser, clock, CONSULTATION, {"email": email, **fields}, action=FOLLOW)


def subscriber(email: str = ADA) -> Subscriber | None:
    db.session.rollback()
    return db.session.scalar(
        select(Subscriber).filter_by(email_hash=subscriptions.address_hash(email))
    )


def count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def deliver(runner) -> None:
    """What the outbox worker does once: `flask outbox send`."""
    result = runner.invoke(args=["outbox", "send"])
    assert result.exit_code == 0, (result.output, result.exception)


def emails_to(smtp_server, runner, email: str = ADA) -> list:
    deliver(runner)
    return smtp_server.to(email)


def path_in(received, pattern: re.Pattern) -> str:
    found = pattern.search(received.text)
    assert found, received.text
    return found.group(1)


def confirm_by_link(browser, received):
    """Open the link in the confirmation email `received` and press its page's button."""
    path = path_in(received, CONFIRM_LINK)
    shown = browser.get(path)
    assert shown.status_code == 200, shown.status_code
    if h1_text(shown) == "Your email address is confirmed":
        return shown  # confirmed before: nothing to press
    assert h1_text(shown) == "Confirm your email address"
    return browser.post(path, data=hidden_of(form_to(shown, path)))


def confirmed(browser, clock, smtp_server, runner, email: str = ADA) -> Subscriber:
    """Sign up and confirm by the link in the confirmation email."""
    assert sign_up(browser, clock, email).status_code == 303
    (received,) = emails_to(smtp_server, runner, email)
    assert confirm_by_link(browser, received).status_code == 200
    return subscriber(email)


def said(shown) -> str:
    """The page's main text, as it reads (no space added where a tag ends)."""
    return " ".join(page(shown).find("main").get_text().split())


@pytest.fixture
def consultation(make_consultation):
    """Open for three weeks more."""
    return make_consultation()


# --- signing up --------------------------------------------------------------------------------


def test_the_sign_up_page_says_what_you_get_and_what_we_promise(client):
    shown = client.get(SIGN_UP)

    assert h1_text(shown) == "Get email updates"
    text = said(shown)
    assert SITE_UPDATES in text and PROMISE in text
    assert "Every email we send has a link to unsubscribe." in text
    assert page(shown).find("a", href="/privacy#updates") is not None
    form = form_to(shown, SIGN_UP)
    email = form.find("input", attrs={"name": "email"})
    assert (email["type"], email["autocomplete"]) == ("email", "email")
    assert text_of(form.find("label", attrs={"for": "name"})) == "Your name (optional)"


def test_signing_up_sends_only_a_confirmation_whose_link_confirms_with_consent(
    client, clock, smtp_server, runner
):
    signed_up_at = clock.now + timedelta(seconds=5)

    sent = sign_up(client, clock, "Ada@Example.org", name="Ada Jones")

    assert sent.status_code == 303 and redirect_path(sent) == CHECK
    shown = client.get(CHECK)
    assert h1_text(shown) == "Check your email"
    assert "We have sent an email to Ada@example.org." in said(shown)
    waiting = subscriber(ADA)
    assert (waiting.status, waiting.email, waiting.name) == (
        PENDING_SUBSCRIBER,
        "Ada@example.org",
        "Ada Jones",
    )
    (received,) = emails_to(smtp_server, runner)
    assert received.message["Subject"] == "Confirm you want email updates"
    assert received.message["List-Unsubscribe"] is None  # not a mailing
    clock.advance(hours=2)
    path = path_in(received, CONFIRM_LINK)
    button_page = client.get(path)
    form = form_to(button_page, path)

    confirming = client.post(path, data=hidden_of(form))

    assert confirming.status_code == 200
    assert h1_text(confirming) == "Your email address is confirmed"
    assert SITE_UPDATES.removeprefix("We will email you ")[:30] in said(confirming)
    now_confirmed = subscriber(ADA)
    assert now_confirmed.status == CONFIRMED
    assert now_confirmed.confirmed_at == clock.now
    assert (
        now_confirmed.consent_at,
        now_confirmed.consent_source,
        now_confirmed.consent_wording,
    ) == (signed_up_at, "sign-up page", subscriptions.CONSENT_WORDING)
    assert now_confirmed.site_updates
    clock.advance(hours=1)
    again = new_browser(client.application).get(path)
    assert again.status_code == 200 and h1_text(again) == "Your email address is confirmed"
    pressed_again = client.post(path, data=hidden_of(form))  # the button, from another tab
    assert pressed_again.status_code == 200
    assert h1_text(pressed_again) == "Your email address is confirmed"
    assert subscriber(ADA).confirmed_at == now_confirmed.confirmed_at
    assert len(emails_to(smtp_server, runner)) == 1  # confirming sends nothing


def test_the_confirmed_page_links_to_the_page_that_changes_what_you_get(
    client, clock, smtp_server, runner
):
    confirmed(client, clock, smtp_server, runner)
    (received,) = smtp_server.to(ADA)

    shown = client.get(path_in(received, CONFIRM_LINK))  # confirmed already: no button

    link = page(shown).find("a", string="change what you get or unsubscribe")
    assert link["href"].startswith("/updates/unsubscribe/")  # this site, wherever it is served
    managed = client.get(link["href"])
    assert h1_text(managed) == "Your email updates"


def test_opening_the_confirmation_link_only_shows_a_button(client, clock, smtp_server, runner):
    sign_up(client, clock)
    (received,) = emails_to(smtp_server, runner)
    path = path_in(received, CONFIRM_LINK)

    # A link scanner; a HEAD answer has no body for the page checks to read.
    scanned = new_browser(client.application, UncheckedClient).head(path)
    shown = new_browser(client.application).get(path)

    assert scanned.status_code == 200
    assert shown.status_code == 200
    assert h1_text(shown) == "Confirm your email address"
    assert f"asked us to send email updates to {ADA}." in said(shown)
    assert "Our email updates: an email when a consultation opens" in said(shown)
    form = form_to(shown, path)
    assert form["method"] == "post" and "csrf_token" in hidden_of(form)
    assert [text_of(b) for b in form.find_all("button")] == ["Confirm your email address"]
    assert subscriber().status == PENDING_SUBSCRIBER
    assert subscriber().confirmed_at is None


def test_the_button_needs_the_pages_csrf_token(client, clock, smtp_server, runner):
    sign_up(client, clock)
    (received,) = emails_to(smtp_server, runner)
    path = path_in(received, CONFIRM_LINK)
    client.get(path)

    forged = client.post(path, data={"csrf_token": "forged"})

    assert forged.status_code == 400
    assert subscriber().status == PENDING_SUBSCRIBER


def test_a_follower_is_asked_to_confirm_following_the_consultation(
    client, clock, smtp_server, runner, consultation
):
    follow(client, clock)
    (received,) = emails_to(smtp_server, runner)

    shown = client.get(path_in(received, CONFIRM_LINK))

    assert f"They asked for: News of {TITLE}" in said(shown)
    assert "Our email updates" not in said(shown)


def test_the_home_page_form_says_where_it_was(client, clock, consultation):
    shown = client.get("/")
    box = form_to(shown, SIGN_UP)
    assert hidden_of(box)["page"] == "home"
    assert PROMISE in text_of(page(shown).find("section", class_="updates-box"))

    sent = open_and_send(client, clock, "/", {"email": ADA}, action=SIGN_UP)

    assert redirect_path(sent) == CHECK
    assert subscriber().consent_source == "home page"


def test_a_consultation_page_form_says_which_consultation(client, clock, consultation):
    box = form_to(client.get(CONSULTATION), SIGN_UP)
    assert hidden_of(box)["page"] == f"consultation:{SLUG}"

    open_and_send(client, clock, CONSULTATION, {"email": ADA}, action=SIGN_UP)

    found = subscriber()
    assert (found.consent_source, found.site_updates, found.follows) == (
        f"consultation page: {SLUG}",
        True,
        [],
    )


@pytest.mark.parametrize("forged", ["evil", "consultation:", "consultation:nothing", "draft"])
def test_a_page_the_form_was_never_on_is_recorded_as_the_sign_up_page(
    client, clock, make_consultation, forged
):
    make_consultation(slug="draft", published_at=None)
    forged = "consultation:draft" if forged == "draft" else forged

    sign_up(client, clock, page=forged)

    assert subscriber().consent_source == "sign-up page"


def test_an_address_in_the_wrong_shape_is_refused_and_kept(client, clock):
    refused = sign_up(client, clock, "ada at example", name="Ada")

    assert refused.status_code == 422
    assert page(refused).title.get_text().startswith("Error: Get email updates")
    message = "Enter an email address in the correct format, like name@example.com"
    assert summary_links(refused) == {message: "email"}
    assert field_error(refused, "email") == message
    form = form_to(refused, SIGN_UP)
    assert form.find("input", attrs={"name": "email"})["value"] == "ada at example"
    assert form.find("input", attrs={"name": "name"})["value"] == "Ada"
    assert count(Subscriber) == 0


LOCAL_PART = "Enter an email address with only English letters, numbers and symbols before the @"


@pytest.mark.parametrize("how", ["sign up", "follow"])
def test_an_address_with_other_letters_before_the_at_is_refused(client, clock, consultation, how):
    send = sign_up if how == "sign up" else follow

    refused = send(client, clock, "josé@example.org")

    assert refused.status_code == 422
    assert summary_links(refused) == {LOCAL_PART: "email"}
    assert field_error(refused, "email") == LOCAL_PART
    assert count(Subscriber) == 0 and count(OutboxEmail) == 0


def test_other_letters_after_the_at_are_accepted(client, clock, smtp_server, runner):
    assert redirect_path(sign_up(client, clock, "ada@exämple.org")) == CHECK
    assert subscriber("ada@exämple.org").status == PENDING_SUBSCRIBER


def test_the_address_is_shown_once_then_kept_nowhere(client, clock):
    sign_up(client, clock)

    first = client.get(CHECK)
    again = client.get(CHECK)

    assert f"We have sent an email to {ADA}." in said(first)
    assert "We have sent an email to the email address you gave." in said(again)
    with client.session_transaction() as session:
        assert ADA not in repr(dict(session))


def test_an_empty_address_and_a_long_name_are_refused(client, clock):
    refused = sign_up(client, clock, "", name="A" * 101)

    assert refused.status_code == 422
    assert summary_links(refused) == {
        "Enter your email address": "email",
        "Enter 100 characters or fewer": "name",
    }


def test_a_mistake_in_the_home_page_box_is_shown_on_the_sign_up_page_and_still_counts_as_home(
    client, clock, consultation
):
    refused = open_and_send(client, clock, "/", {"email": "ada@"}, action=SIGN_UP)

    assert refused.status_code == 422 and h1_text(refused) == "Get email updates"
    form = form_to(refused, SIGN_UP)
    assert hidden_of(form)["page"] == "home"
    clock.advance(seconds=5)
    sent = client.post(SIGN_UP, data={**hidden_of(form), "website": "", "email": ADA})

    assert redirect_path(sent) == CHECK
    assert subscriber().consent_source == "home page"


@pytest.mark.parametrize("how", ["honeypot", "too fast", "no stamp"])
def test_a_bot_gets_the_same_page_and_nothing_is_stored(client, clock, smtp_server, runner, how):
    if how == "honeypot":
        sent = open_and_send(client, clock, SIGN_UP, {"email": ADA, "website": "x"})
    elif how == "too fast":
        sent = sign_up(client, clock, seconds=1)
    else:
        sent = open_and_send(client, clock, SIGN_UP, {"email": ADA, "loaded": ""})

    assert sent.status_code == 303 and redirect_path(sent) == CHECK
    assert h1_text(client.get(CHECK)) == "Check your email"
    assert (count(Subscriber), count(OutboxEmail)) == (0, 0)
    assert emails_to(smtp_server, runner) == []


def test_signing_up_again_while_waiting_sends_a_new_link_only_after_15_minutes(
    client, clock, smtp_server, runner
):
    sign_up(client, clock)
    (first,) = emails_to(smtp_server, runner)
    clock.advance(minutes=5)

    sign_up(client, clock)

    assert len(emails_to(smtp_server, runner)) == 1
    clock.advance(minutes=15)
    sign_up(client, clock)
    second = emails_to(smtp_server, runner)[-1]
    assert second is not first
    assert second.message["Subject"] == "Confirm you want email updates"
    old = client.get(path_in(first, CONFIRM_LINK))
    assert old.status_code == 404 and h1_text(old) == EXPIRED
    assert confirm_by_link(client, second).status_code == 200
    assert subscriber().confirmed


def test_signing_up_when_already_confirmed_looks_the_same_and_emails_the_owner(
    app, clock, smtp_server, runner
):
    first_browser, second_browser = new_browser(app), new_browser(app)
    new = sign_up(first_browser, clock)
    new_page = first_browser.get(CHECK)
    (received,) = emails_to(smtp_server, runner)
    confirm_by_link(first_browser, received)
    clock.advance(minutes=20)

    known = sign_up(second_browser, clock)

    assert (known.status_code, known.headers["Location"]) == (
        new.status_code,
        new.headers["Location"],
    )
    assert second_browser.get(CHECK).get_data() == new_page.get_data()
    notice = emails_to(smtp_server, runner)[-1]
    assert notice.message["Subject"] == "You already get our email updates"
    assert "Nothing has changed." in notice.text
    assert subscriber().consent_source == "sign-up page"


def test_a_confirmation_link_stops_working_after_7_days(client, clock, smtp_server, runner):
    sign_up(client, clock)
    (received,) = emails_to(smtp_server, runner)
    clock.advance(days=7, minutes=1)

    late = client.get(path_in(received, CONFIRM_LINK))

    assert late.status_code == 404
    assert h1_text(late) == EXPIRED
    assert page(late).find("a", href=SIGN_UP, string="Sign up again") is not None
    token = csrf_token(client, A_PAGE_WITH_A_TOKEN)
    pressed = client.post(path_in(received, CONFIRM_LINK), data={"csrf_token": token})
    assert pressed.status_code == 404 and h1_text(pressed) == EXPIRED
    assert subscriber().status == PENDING_SUBSCRIBER


@pytest.mark.parametrize("token", ["nothing", "x" * 500, "%00", "."])
def test_a_confirmation_link_that_was_never_sent_does_not_work(client, token):
    shown = client.get(f"/updates/confirm/{token}")
    valid = csrf_token(client, A_PAGE_WITH_A_TOKEN)
    pressed = client.post(f"/updates/confirm/{token}", data={"csrf_token": valid})

    assert (shown.status_code, pressed.status_code) == (404, 404)


def test_signing_up_is_rate_limited_with_following(request, app_config):
    app_config["RATELIMIT_ENABLED"] = True
    app_config["RATELIMIT_UPDATES"] = "2 per minute"
    app = request.getfixturevalue("app")
    clock = request.getfixturevalue("clock")
    request.getfixturevalue("consultation")
    browser = new_browser(app)

    answers = [sign_up(browser, clock, f"p{n}@example.org") for n in range(2)]
    answers.append(follow(browser, clock, "p3@example.org"))

    assert [a.status_code for a in answers] == [303, 303, 429]
    assert h1_text(answers[2]) == "Too many attempts"
    assert browser.get(SIGN_UP).status_code == 200  # only sending is limited


def test_the_updates_setting_has_a_default(app):
    assert app.config["RATELIMIT_UPDATES"] == "5 per minute;20 per hour"


def test_every_page_links_to_the_sign_up_page_and_the_privacy_notice_explains_it(client):
    footer = page(client.get("/privacy")).find("footer")
    assert footer.find("a", href=SIGN_UP, string="Get email updates") is not None

    section = page(client.get("/privacy")).find(id="updates")

    assert text_of(section) == "Email updates"
    told = text_of(section.find_parent("main"))
    assert "which version of the words on the form you agreed to" in told
    assert "If you do not confirm it within 7 days, we delete your address" in told
    assert "We keep only a scrambled form of the address (a hash)" in told


# --- following a consultation ------------------------------------------------------------------


def test_following_an_open_consultation_from_its_page(
    client, clock, smtp_server, runner, consultation
):
    shown = client.get(CONSULTATION)
    box = page(shown).find("section", attrs={"aria-labelledby": "follow-heading"})
    assert text_of(box.find("h2")) == "Follow this consultation"
    assert (
        "We will email you a week before it closes, when it closes and when we publish what"
        " came of it. We will not email you about anything else." in text_of(box)
    )
    assert PROMISE in text_of(box)
    followed_at = clock.now + timedelta(seconds=5)

    sent = follow(client, clock, name="Ada")

    assert redirect_path(sent) == CHECK
    assert f"confirm your email address and start following {TITLE}" in said(client.get(CHECK))
    waiting = subscriber()
    assert (waiting.site_updates, waiting.consent_source, waiting.consent_at) == (False, "", None)
    (kept,) = waiting.follows
    assert (kept.consultation.slug, kept.created_at, kept.consent_source) == (
        SLUG,
        followed_at,
        f"consultation page: {SLUG}",
    )
    assert kept.consent_wording == subscriptions.CONSENT_WORDING
    (received,) = emails_to(smtp_server, runner)
    confirming = confirm_by_link(client, received)
    assert f"News of {TITLE}. We will email you a week before it closes" in said(confirming)
    assert "Our email updates" not in said(confirming)
    assert subscriber().confirmed


def test_a_confirmed_address_that_follows_is_told_by_email(
    client, clock, smtp_server, runner, consultation
):
    confirmed(client, clock, smtp_server, runner)
    clock.advance(minutes=20)

    follow(client, clock)

    notice = emails_to(smtp_server, runner)[-1]
    assert notice.message["Subject"] == "Your email updates have changed"
    assert f'You now follow "{TITLE}". We will email you a week before it closes' in " ".join(
        notice.text.split()
    )
    assert [f.consultation_id for f in subscriber().follows] == [consultation.id]


def test_a_confirmed_follower_who_follows_again_is_told_nothing_changed(
    client, clock, smtp_server, runner, consultation
):
    confirmed(client, clock, smtp_server, runner)
    clock.advance(minutes=20)
    follow(client, clock)
    clock.advance(minutes=20)

    follow(client, clock)

    notice = emails_to(smtp_server, runner)[-1]
    assert notice.message["Subject"] == "You already follow this consultation"
    words = " ".join(notice.text.split())
    assert (
        f'Someone, probably you, asked to follow "{TITLE}" with this address, but you already'
        " follow it. Nothing has changed: we will email you a week before it closes" in words
    )
    assert "email updates" not in words
    html = text_of(BeautifulSoup(notice.html, "html.parser"))
    assert "You already follow this consultation" in html
    assert f"asked to follow {TITLE} with this address, but you already follow it." in html
    assert [f.consultation_id for f in subscriber().follows] == [consultation.id]


@pytest.mark.parametrize("asked", ["sign up", "follow", "both"])
def test_the_confirmation_email_says_what_was_asked_for(
    client, clock, smtp_server, runner, consultation, asked
):
    if asked in ("sign up", "both"):
        sign_up(client, clock)
        clock.advance(minutes=20)  # not yet confirmed: the next form sends a new link
    if asked in ("follow", "both"):
        follow(client, clock)

    received = emails_to(smtp_server, runner)[-1]

    text = " ".join(received.text.split())
    html = text_of(BeautifulSoup(received.html, "html.parser").find("ul"))
    site_wide = "our email updates: an email when a consultation opens"
    following = f'news of the consultation "{TITLE}": an email a week before it closes'
    assert (site_wide in text, following in text) == (asked != "follow", asked != "sign up")
    assert (site_wide in html, f"news of the consultation {TITLE}" in html) == (
        asked != "follow",
        asked != "sign up",
    )
    assert "\n\n\n" not in received.text.replace("\r\n", "\n")


@pytest.mark.parametrize("news", [True, False])
def test_the_notice_email_says_how_to_unsubscribe_if_it_was_not_you(
    client, clock, smtp_server, runner, consultation, news
):
    confirmed(client, clock, smtp_server, runner)
    clock.advance(minutes=20)

    if news:
        follow(client, clock)
    else:
        sign_up(client, clock)

    notice = emails_to(smtp_server, runner)[-1]
    lines = notice.text.replace("\r\n", "\n")
    assert "If this was not you, you can unsubscribe here:\n" in lines
    assert path_in(notice, MANAGE_LINK) == urlsplit(subscriptions.manage_url(subscriber())).path
    assert "\n\n\n" not in lines
    link = BeautifulSoup(notice.html, "html.parser").find(
        "a", string="unsubscribe or change what you get"
    )
    assert "If this was not you, you can unsubscribe here:" in text_of(link.parent)
    assert urlsplit(link["href"]).path == path_in(notice, MANAGE_LINK)


def test_a_forthcoming_consultation_says_it_will_email_when_it_opens(
    client, clock, make_consultation
):
    make_consultation(opens_at=clock.now + timedelta(days=3))

    box = page(client.get(CONSULTATION)).find(
        "section", attrs={"aria-labelledby": "follow-heading"}
    )

    assert (
        "We will email you when it opens, a week before it closes, when it closes and when we"
        " publish what came of it." in text_of(box)
    )


def test_a_consultation_opened_by_hand_promises_no_reminder_a_week_before(
    client, clock, make_consultation
):
    make_consultation(opens_at=clock.now + timedelta(days=3), override="open")

    box = page(client.get(CONSULTATION)).find(
        "section", attrs={"aria-labelledby": "follow-heading"}
    )

    assert "We will email you when it closes and when we publish what came of it." in text_of(box)


def test_a_closed_consultation_can_be_followed_until_its_outcome_is_published(
    client, clock, make_consultation
):
    closed = make_consultation(closes_at=clock.now - timedelta(days=1))
    box = page(client.get(CONSULTATION)).find(
        "section", attrs={"aria-labelledby": "follow-heading"}
    )
    assert "We will email you when we publish what came of it." in text_of(box)
    assert follow(client, clock).status_code == 303
    closed = db.session.get(type(closed), closed.id)
    closed.outcome = "We listened."
    closed.outcome_published_at = clock.now
    db.session.commit()

    shown = client.get(CONSULTATION)

    assert page(shown).find("section", attrs={"aria-labelledby": "follow-heading"}) is None
    assert form_to(shown, SIGN_UP) is not None  # the site's updates are still offered
    gone = client.get(FOLLOW)
    assert gone.status_code == 410
    assert h1_text(gone) == "There is no more news of this consultation"
    clock.advance(minutes=20)
    stamp = hidden_of(form_to(shown, SIGN_UP))["loaded"]
    refused = client.post(FOLLOW, data={"loaded": stamp, "email": "bea@example.org"})
    assert refused.status_code == 410 and subscriber("bea@example.org") is None


def test_a_draft_cannot_be_followed_even_by_staff(client, clock, admin, make_consultation):
    make_consultation(published_at=None)

    shown = admin.get(CONSULTATION)

    assert shown.status_code == 200
    assert page(shown).find("section", class_="updates-box") is None
    assert admin.get(FOLLOW).status_code == 404
    assert new_browser(admin.application).get(FOLLOW).status_code == 404
    assert client.get("/consultations/nothing/follow").status_code == 404


def test_a_mistake_in_the_follow_box_is_shown_on_the_follow_page(client, clock, consultation):
    refused = open_and_send(client, clock, CONSULTATION, {"email": ""}, action=FOLLOW)

    assert refused.status_code == 422
    assert h1_text(refused) == "Follow this consultation"
    assert summary_links(refused) == {"Enter your email address": "email"}
    assert count(Subscriber) == 0
    clock.advance(seconds=5)
    form = form_to(refused, FOLLOW)
    sent = client.post(FOLLOW, data={**hidden_of(form), "website": "", "email": ADA})
    assert redirect_path(sent) == CHECK and len(subscriber().follows) == 1


def test_a_bot_following_stores_nothing(client, clock, consultation):
    sent = follow(client, clock, website="x")

    assert redirect_path(sent) == CHECK
    assert (count(Subscriber), count(Follow), count(OutboxEmail)) == (0, 0, 0)


# --- unsubscribing -----------------------------------------------------------------------------


def send_update(clock, consultation=None, subject: str = "Our news") -> Mailing:
    """An admin's update, queued to every subscriber, or to one consultation's followers."""
    mailing = Mailing(kind=mailings.UPDATE, subject=subject, body="Hello.", created_by="admin")
    db.session.add(mailing)
    db.session.commit()
    audience = mailings.FOLLOWERS if consultation else mailings.SUBSCRIBERS
    assert mailings.send_update(mailing, audience, consultation, "admin", clock.now)
    return mailing


def one_click(app, path: str):
    """What a mail client sends: no cookies, no CSRF token, only the RFC 8058 body."""
    return new_browser(app).post(
        path,
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )


def unsubscribe_path(received) -> str:
    header = str(received.message["List-Unsubscribe"])
    assert received.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    return urlsplit(header.strip("<>")).path


def test_one_click_unsubscribes_at_once_and_withdraws_queued_emails(
    app, client, clock, smtp_server, runner
):
    confirmed(client, clock, smtp_server, runner)
    send_update(clock, subject="First news")
    update = emails_to(smtp_server, runner)[-1]
    assert update.message["Subject"] == "First news"
    send_update(clock, subject="Second news")  # queued, not yet sent
    path = unsubscribe_path(update)

    answer = one_click(app, path)

    assert answer.status_code == 200
    assert answer.mimetype == "text/plain"
    assert "You have unsubscribed" in answer.get_data(as_text=True)
    gone = subscriber()
    assert (gone.status, gone.email, gone.name, gone.site_updates) == (
        UNSUBSCRIBED,
        None,
        "",
        False,
    )
    assert gone.unsubscribed_at == clock.now
    db.session.rollback()
    rows = list(
        db.session.scalars(
            select(OutboxEmail).filter_by(subscriber_id=gone.id).order_by(OutboxEmail.id)
        )
    )
    assert rows and all(row.to_addr == mail_outbox.FORGOTTEN for row in rows)
    assert all(ADA not in row.body_text and row.unsubscribe_url == "" for row in rows)
    assert [row.status for row in rows][-1] == mail_outbox.WITHDRAWN
    before = len(smtp_server.received)
    deliver(runner)
    assert len(smtp_server.received) == before  # nothing more
    again = one_click(app, path)  # harmless
    assert again.status_code == 200 and subscriber().status == UNSUBSCRIBED


def test_one_click_from_a_followers_email_stops_only_that_consultation(
    app, client, clock, smtp_server, runner, consultation
):
    confirmed(client, clock, smtp_server, runner)
    clock.advance(minutes=20)
    follow(client, clock)
    send_update(clock, consultation, subject="About the review")
    about = [
        m for m in emails_to(smtp_server, runner) if "About the review" in m.message["Subject"]
    ]

    answer = one_click(app, unsubscribe_path(about[0]))

    assert answer.status_code == 200
    assert answer.get_data(as_text=True) == f"You no longer follow {TITLE}.\n"
    still = subscriber()
    assert (still.status, still.site_updates, still.follows) == (CONFIRMED, True, [])


def test_one_click_for_the_only_consultation_followed_unsubscribes_altogether(
    app, client, clock, smtp_server, runner, consultation
):
    follow(client, clock)
    (received,) = emails_to(smtp_server, runner)
    confirm_by_link(client, received)
    send_update(clock, consultation)
    update = emails_to(smtp_server, runner)[-1]

    answer = one_click(app, unsubscribe_path(update))

    assert "You have unsubscribed" in answer.get_data(as_text=True)
    assert subscriber().status == UNSUBSCRIBED


def manage_path(who: Subscriber, consultation_id: int | None = None) -> str:
    return urlsplit(subscriptions.manage_url(who, consultation_id)).path


def test_the_unsubscribe_page_says_what_you_get_and_changes_nothing(
    client, clock, smtp_server, runner, consultation, make_consultation
):
    other = make_consultation(slug="parks", title="Parks review")
    who = confirmed(client, clock, smtp_server, runner)
    for slug in (SLUG, "parks"):
        clock.advance(minutes=20)
        open_and_send(
            client,
            clock,
            f"/consultations/{slug}",
            {"email": ADA},
            action=f"/consultations/{slug}/follow",
        )
    rows_before = count(OutboxEmail)

    shown = new_browser(client.application).get(manage_path(who, other.id))

    assert shown.status_code == 200
    assert h1_text(shown) == "Your email updates"
    text = said(shown)
    assert f"We send them to {ADA}." in text
    assert "The email you came from was about Parks review, which you follow." in text
    buttons = [(text_of(b), b["value"]) for b in page(shown).find_all("button")]
    assert buttons == [
        ("Stop following Parks review", str(other.id)),
        (f"Stop following {TITLE}", str(consultation.id)),
        ("Unsubscribe from all emails", "all"),
    ]
    assert "Our email updates: an email when a consultation opens" in text
    after = subscriber()
    assert (after.status, after.site_updates, len(after.follows)) == (CONFIRMED, True, 2)
    assert count(OutboxEmail) == rows_before


def test_stopping_one_consultation_from_the_page(client, clock, smtp_server, runner, consultation):
    who = confirmed(client, clock, smtp_server, runner)
    clock.advance(minutes=20)
    follow(client, clock)
    path = manage_path(who, consultation.id)
    browser = new_browser(client.application)  # no cookies, no CSRF token needed

    stopped = open_and_send(browser, clock, path, {"stop": str(consultation.id)})

    assert stopped.status_code == 200
    assert h1_text(stopped) == f"You no longer follow {TITLE}"
    assert "You still get Our email updates" in said(stopped)
    assert subscriber().follows == [] and subscriber().site_updates
    again = browser.post(path, data={"stop": str(consultation.id)})  # a second press
    assert again.status_code == 422 and h1_text(again) == "Your email updates"
    assert summary_links(again) == {"Select what you want to stop getting": "stop"}
    assert f"Stop following {TITLE}" not in said(again)
    assert subscriber().site_updates


@pytest.mark.parametrize("published", [True, False])
def test_stopping_a_consultation_never_followed_is_refused_without_naming_it(
    client, clock, smtp_server, runner, make_consultation, published
):
    other = make_consultation(
        slug="parks", title="Parks review", published_at=clock.now if published else None
    )
    who = confirmed(client, clock, smtp_server, runner)

    refused = client.post(manage_path(who), data={"stop": str(other.id)})

    assert refused.status_code == 422
    assert summary_links(refused) == {"Select what you want to stop getting": "stop"}
    assert "Parks review" not in refused.get_data(as_text=True)
    assert subscriber().status == CONFIRMED


def test_stopping_the_last_thing_unsubscribes(client, clock, smtp_server, runner, consultation):
    follow(client, clock)
    (received,) = emails_to(smtp_server, runner)
    confirm_by_link(client, received)
    path = manage_path(subscriber(), consultation.id)

    stopped = open_and_send(client, clock, path, {"stop": str(consultation.id)})

    assert "so you have unsubscribed from all our emails" in said(stopped)
    assert subscriber().status == UNSUBSCRIBED


def test_unsubscribing_from_everything_from_the_page(client, clock, smtp_server, runner):
    who = confirmed(client, clock, smtp_server, runner)
    path = manage_path(who)

    done = open_and_send(client, clock, path, {"stop": "all"})

    assert done.status_code == 200 and h1_text(done) == "You have unsubscribed"
    gone = subscriber()
    assert (gone.status, gone.email, gone.name, gone.follows) == (UNSUBSCRIBED, None, "", [])
    later = client.get(path)
    assert later.status_code == 200 and h1_text(later) == "You have already unsubscribed"
    posted = client.post(path, data={"stop": "all"})
    assert posted.status_code == 200 and h1_text(posted) == "You have already unsubscribed"


def test_signing_up_again_after_unsubscribing_asks_to_confirm_again(
    client, clock, smtp_server, runner
):
    who = confirmed(client, clock, smtp_server, runner)
    client.post(manage_path(who), data={"stop": "all"})
    clock.advance(minutes=1)

    sign_up(client, clock)

    back = subscriber()
    assert (back.id, back.status, back.email) == (who.id, PENDING_SUBSCRIBER, ADA)
    assert emails_to(smtp_server, runner)[-1].message["Subject"] == (
        "Confirm you want email updates"
    )


@pytest.mark.parametrize("choice", ["", "everything", "0", "99999", "-1", "1.0"])
def test_a_choice_the_page_never_offered_is_refused_and_changes_nothing(
    client, clock, smtp_server, runner, choice
):
    who = confirmed(client, clock, smtp_server, runner)

    refused = client.post(manage_path(who), data={"stop": choice})

    assert refused.status_code == 422
    assert summary_links(refused) == {"Select what you want to stop getting": "stop"}
    assert subscriber().status == CONFIRMED


@pytest.mark.parametrize("method", ["get", "post", "one click"])
@pytest.mark.parametrize("token", ["nothing", "WzEsMF0.forged", "x" * 300])
def test_an_unsubscribe_link_that_was_never_sent_does_not_work(app, client, method, token):
    path = f"/updates/unsubscribe/{token}"
    if method == "one click":
        answer = one_click(app, path)
    else:
        answer = getattr(client, method)(path, data={"stop": "all"} if method == "post" else None)

    assert answer.status_code == 404
    assert h1_text(answer) == "This link does not work"


def test_a_link_signed_with_another_key_does_not_work(app, client, clock, smtp_server, runner):
    who = confirmed(client, clock, smtp_server, runner)
    path = manage_path(who)
    app.config["SECRET_KEY"] = "another"

    assert client.get(path).status_code == 404
    assert one_click(app, path).status_code == 404
    assert subscriber().status == CONFIRMED
