"""An admin at a phone's screen sends an email update: reads the counts, downloads the
subscribers' addresses, writes an update, previews it, sends a test to themselves, sends it
to everyone subscribed and watches the outbox worker deliver it; a subscriber's mail client
then unsubscribes with one click, and the count goes down.

With JavaScript on and off. Two people subscribe and one follows the consultation: one
through the home page's real form and the link in the email it sends, the others through
app.updates.subscriptions and the links in theirs. Every email is read back from the real
SMTP server after `flask outbox work`. Each state of the admin pages is checked with axe and
for sideways scrolling at 390 and at 320 pixels wide; with BROWSER_SCREENSHOTS set, each is
also saved there as PNGs at both widths, a screen at a time.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select

from app.extensions import db
from app.models import CONFIRMED, UNSUBSCRIBED, Consultation, Subscriber
from app.updates import subscriptions
from bench.browser import PHONE
from tests.support.browser import (
    NARROWEST,
    heading,
    mark_document,
    press,
    sign_in,
    visit,
)
from tests.support.factories import ADMIN_EMAIL, SLUG, TITLE
from tests.support.outbox import work

pytestmark = pytest.mark.browser

ADA = "ada@example.org"  # signs up through the home page's form
BO = "bo@example.org"  # signs up through app.updates.subscriptions
CY = "cy@example.org"  # follows the consultation only
CONFIRM_LINK = re.compile(r"https?://\S+(/updates/confirm/\S+)")

SUBJECT = "Our plans for the spring"
BODY = (
    "## What comes next\n\n"
    "We will open three consultations before the summer.\n\n"
    "- Parks\n"
    "- Libraries\n\n"
    "Read [our plans](https://example.org/plans) in full."
)
FRAME = "iframe[title='The email as HTML']"
PROGRESS_WAIT_MS = 10_000  # htmx asks for the progress every 3 seconds


# Looking at pages.


def flash(page: Page) -> Locator:
    return page.locator("#flashes").get_by_role("status")


def count_of(page: Page, label: str) -> Locator:
    """The value in the summary list's row whose label is `label`."""
    return (
        page.locator(".summary-list > div")
        .filter(has=page.locator("dt", has_text=re.compile(rf"^{re.escape(label)}$")))
        .locator("dd")
    )


def subscribers_csv(page: Page) -> list[dict[str, str]]:
    """Download the subscribers' CSV file from the counts page, as a spreadsheet reads it."""
    link = page.get_by_role(
        "link", name=re.compile(r"^download as CSV ?(:|of) everyone subscribed to updates$")
    )
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.failure() is None
    assert download.suggested_filename == "subscribers-2027-02-01.csv"
    text = Path(download.path()).read_bytes().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def assert_frame_fills_the_column(page: Page) -> None:
    """The preview's frame is as wide as the page's column, and the email in it does not
    scroll sideways inside it, at the viewport's width as it is now."""
    frame = page.locator(FRAME).bounding_box()
    column = heading(page).bounding_box()
    assert frame is not None and column is not None
    assert abs(frame["width"] - column["width"]) <= 1, (frame, column)
    inside = page.frame_locator(FRAME).locator("html")
    scroll_width, client_width = inside.evaluate("html => [html.scrollWidth, html.clientWidth]")
    assert scroll_width <= client_width, f"the email is {scroll_width}px wide in {client_width}px"


def assert_email_in_frame(page: Page) -> None:
    """The preview's frame shows the update as the email's HTML: heading, list and link."""
    email = page.frame_locator(FRAME)
    expect(email.get_by_role("heading", level=1)).to_have_text(SUBJECT)
    expect(email.get_by_role("heading", level=2)).to_have_text("What comes next")
    expect(email.get_by_role("listitem")).to_have_text(["Parks", "Libraries"])
    expect(email.get_by_role("link", name="our plans")).to_have_attribute(
        "href", "https://example.org/plans"
    )
    expect(email.get_by_text("you signed up for updates from our site")).to_be_visible()


# Arranging: two subscribers and a follower, each confirmed by the link in their email.


@dataclass
class Subscribed:
    consultation: Consultation
    subscriber_ids: dict[str, int]


def confirm_link(smtp_server, address: str) -> str:
    """The path of the link in the one confirmation email sent to `address`."""
    [email] = [m for m in smtp_server.to(address) if "Confirm" in m.message["Subject"]]
    return CONFIRM_LINK.search(email.text).group(1)


@pytest.fixture
def subscribed(open_page, make_consultation, clock, runner, smtp_server) -> Subscribed:
    """Ada signs up on the home page and Bo through subscriptions.sign_up; Cy follows the
    consultation. Each confirms by the link in the email the worker delivered."""
    consultation = make_consultation()
    public = open_page()
    visit(public, "/")
    box = public.get_by_role("region", name="Get email updates")
    box.get_by_label("Email address").fill(ADA)
    box.get_by_label("Your name (optional)").fill("Ada Jones")
    clock.advance(seconds=10)  # quicker than SUBMIT_MIN_SECONDS looks like a bot
    box.get_by_role("button", name="Sign up").click()
    expect(heading(public)).to_have_text("Check your email")

    db.session.rollback()
    for request in (
        subscriptions.SignUp(BO, name="Bo Lund", site_updates=True, source="/updates/sign-up"),
        subscriptions.SignUp(CY, consultation=consultation, source=f"/consultations/{SLUG}"),
    ):
        assert subscriptions.sign_up(request, clock.now) == subscriptions.Sent.CONFIRMATION
    work(runner)

    visit(public, confirm_link(smtp_server, ADA))
    press(public, "Confirm your email address")  # opening the link alone confirms nothing
    expect(heading(public)).to_have_text("Your email address is confirmed")
    for address in (BO, CY):
        token = confirm_link(smtp_server, address).rsplit("/", 1)[1]
        assert subscriptions.confirm(token, clock.now) is not None
    public.context.close()

    db.session.rollback()
    people = {person.email: person for person in db.session.scalars(select(Subscriber))}
    assert {email: person.status for email, person in people.items()} == {
        ADA: CONFIRMED,
        BO: CONFIRMED,
        CY: CONFIRMED,
    }
    assert not people[CY].site_updates
    smtp_server.clear()
    return Subscribed(consultation, {email: person.id for email, person in people.items()})


# The journey.


def test_an_admin_sends_an_update_that_reaches_each_subscriber_once(
    page,
    javascript,
    admin_user,
    subscribed,
    runner,
    smtp_server,
    live_server,
    assert_accessible,
    look,
):
    sign_in(page, assert_accessible)

    # The counts, from the admin menu.
    page.get_by_role("navigation", name="Admin").get_by_role("link", name="Email updates").click()
    expect(heading(page)).to_have_text("Email updates")
    expect(count_of(page, "Subscribed to updates")).to_have_text(re.compile(r"^2 people \("))
    expect(count_of(page, "Not confirmed yet")).to_have_text("0 people")
    followers = page.get_by_role("table", name="Confirmed followers of each published consultation")
    expect(followers.locator("tbody tr")).to_have_count(1)
    expect(followers.locator("tbody tr td").nth(0)).to_have_text(TITLE)
    expect(followers.locator("tbody tr td").nth(1)).to_have_text(re.compile(r"^1\b"))
    expect(page.get_by_text("Nothing has been sent yet.")).to_be_visible()
    look(page, "admin-updates-counts")

    # The subscribers' addresses as a CSV file: the two confirmed, not the follower.
    rows = subscribers_csv(page)
    assert sorted((row["Email address"], row["Name"]) for row in rows) == [
        (ADA, "Ada Jones"),
        (BO, "Bo Lund"),
    ]
    assert all(row["Consent wording"] == subscriptions.CONSENT_WORDING for row in rows)

    # Write an update: nothing typed is refused, with the problems summarised.
    page.get_by_role("link", name="Write an update").click()
    expect(heading(page)).to_have_text("Write an update")
    with page.expect_response(re.compile(r"/admin/updates/new$")) as answer:
        press(page, "Save and preview")
    assert answer.value.status == 422
    summary = page.get_by_role("alert")
    expect(summary.get_by_role("link")).to_have_text(["Enter a subject", "Enter the update"])
    expect(page.get_by_label("Subject")).to_have_accessible_description(
        re.compile("Error: Enter a subject")
    )
    expect(page).to_have_title(re.compile(r"^Error: Write an update"))
    look(page, "admin-updates-compose-error")

    page.get_by_label("Subject").fill(SUBJECT)
    page.get_by_label("Update", exact=True).fill(BODY)
    look(page, "admin-updates-compose")
    press(page, "Save and preview")

    # The preview: the email's HTML in a frame as wide as the page, and its plain text.
    expect(heading(page)).to_have_text(SUBJECT)
    expect(flash(page)).to_have_text(
        "Your update is saved as a draft. Check it before you send it."
    )
    assert_email_in_frame(page)
    expect(page.locator(".kept-answer")).to_contain_text("## What comes next")
    for size in (PHONE, NARROWEST):
        page.set_viewport_size(size)
        assert_frame_fills_the_column(page)
    page.set_viewport_size(PHONE)
    look(page, "admin-updates-preview")

    # A test to oneself: marked, and without the unsubscribe headers.
    press(page, "Send a test to me")
    expect(flash(page)).to_have_text(f"A test has been sent to {ADMIN_EMAIL}.")
    work(runner)
    [test] = smtp_server.received
    assert test.rcpt_tos == [ADMIN_EMAIL]
    assert test.message["Subject"] == f"[Test] {SUBJECT}"
    assert test.message["List-Unsubscribe"] is None
    assert test.message["List-Unsubscribe-Post"] is None
    assert '<h2 style="font-size:21px;">What comes next</h2>' in test.html
    smtp_server.clear()

    # Send it to everyone subscribed: choose, then confirm the number.
    page.get_by_role("link", name="Send", exact=True).click()
    expect(heading(page)).to_have_text(f"Send “{SUBJECT}”")
    look(page, "admin-updates-send")
    page.get_by_label("Everyone subscribed to updates (2 people)").check()
    press(page, "Continue")
    expect(heading(page)).to_have_text(f"Send “{SUBJECT}” to 2 people?")
    look(page, "admin-updates-send-check")
    press(page, "Send to 2 people")

    # The progress: both queued until the worker runs.
    expect(heading(page)).to_have_text(SUBJECT)
    expect(flash(page)).to_have_text("Your update is being sent to 2 people.")
    expect(count_of(page, "To")).to_have_text("Everyone subscribed to updates (2 people)")
    expect(page.locator("#progress-queued")).to_have_text("2")
    expect(page.locator("#progress-sent")).to_have_text("0")
    assert_email_in_frame(page)
    look(page, "admin-updates-progress")

    mark_document(page, javascript)
    outbox_link = page.get_by_role("link", name="list of failed emails in the outbox")
    outbox_link.focus()
    work(runner)
    if javascript:
        # htmx asks for the progress every few seconds: it changes without a reload, and
        # the keyboard's place on a link is kept.
        expect(page.locator("#progress-sent")).to_have_text("2", timeout=PROGRESS_WAIT_MS)
        assert page.evaluate("window.sameDocument") is True, "the whole page was reloaded"
        expect(outbox_link).to_be_focused()
        outbox_link.blur()  # axe reads the page below as it is unfocused
    else:
        # Nothing asks again by itself: the Refresh link does.
        page.get_by_role("link", name="Refresh the progress").click()
        expect(page.locator("#progress-sent")).to_have_text("2")
    expect(page.locator("#progress-queued")).to_have_text("0")
    expect(page.locator("#progress-failed")).to_have_text("0")
    expect(page.get_by_text("Every email has been dealt with.")).to_be_visible()
    expect(page.get_by_role("link", name="Refresh the progress")).to_have_count(0)
    look(page, "admin-updates-progress-done")

    # Each subscriber got it once, with the headers for one-click unsubscribing; the
    # follower, who did not sign up to updates, did not.
    received = smtp_server.received
    assert sorted(m.rcpt_tos for m in received) == [[ADA], [BO]]
    for message in received:
        assert message.message["Subject"] == SUBJECT
        assert re.fullmatch(
            r"<https?://\S+/updates/unsubscribe/\S+>", message.message["List-Unsubscribe"]
        )
        assert message.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert smtp_server.to(CY) == []

    # Ada's mail client unsubscribes with one click: a plain POST, no cookies.
    [to_ada] = smtp_server.to(ADA)
    link = to_ada.message["List-Unsubscribe"].strip("<>")
    answer = requests.post(
        live_server.url + urlsplit(link).path,
        data={"List-Unsubscribe": "One-Click"},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 200, answer.text[:500]
    assert answer.text.startswith("You have unsubscribed.")
    db.session.rollback()
    assert db.session.get(Subscriber, subscribed.subscriber_ids[ADA]).status == UNSUBSCRIBED

    # The counts page: one subscriber fewer.
    page.get_by_role("link", name="Back to email updates").click()
    expect(heading(page)).to_have_text("Email updates")
    expect(count_of(page, "Subscribed to updates")).to_have_text(re.compile(r"^1 person \("))
    mailing = page.locator(".admin-item").filter(has=page.get_by_role("link", name=SUBJECT))
    expect(mailing).to_contain_text("Everyone subscribed to updates (2 people)")
    assert [row["Email address"] for row in subscribers_csv(page)] == [BO]
