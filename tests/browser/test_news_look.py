"""How the news pages, readers' comments and their moderation look on a phone, in every
state: the news list; a post's thread signed out, signed in with the form, with the form's
errors (empty and too long), with a comment hidden by reports and one a moderator removed,
and closed; reader sign-in, "Check your email", choosing a name and the account page; the
moderation queue and a comment's page in it.

With JavaScript on and off, each state is checked with axe and for sideways scroll at 390
and at 320 pixels wide. The posts, readers and reports are made in the database; the
states are reached through the pages. With BROWSER_SCREENSHOTS set to a folder, each
state is also saved there as PNGs a screen high, to be looked at.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
from playwright.sync_api import Locator, Page, expect

from app.comments.rules import MOST_CHARACTERS
from app.extensions import db
from app.models import Comment, CommentReport, NewsPost, Reader, ReaderSession
from app.models.news import HELD
from app.readers import sessions
from app.updates.subscriptions import address_hash
from tests.support.browser import (
    heading,
    press,
    sign_in,
    visit,
)

pytestmark = pytest.mark.browser

OPEN_SLUG = "bold-commissioners"
OPEN_TITLE = "Bold commissioners: what they do differently"
CLOSED_SLUG = "what-you-told-us-about-commissioning"
CLOSED_TITLE = "What you told us about commissioning"
# A long address that does not break at a hyphen: the kind that pushes a thread sideways.
LONG_LINK = "https://www.example.gov.uk/government/publications/local-authority-commissioning-2027"
REMOVE_REASON = "Names a member of staff."


# Arranging, in the database.


def make_reader(email: str, name: str | None) -> Reader:
    reader = Reader(email=email, email_hash=address_hash(email), name=name)
    db.session.add(reader)
    return reader


def make_post(clock, slug: str, title: str, consultation=None, **fields) -> NewsPost:
    post = NewsPost(
        slug=slug,
        title=title,
        summary="What commissioners who take risks do, and what you told us about it.",
        body="## What we found\n\nCommissioners who **talk to providers early** get more bids.",
        author_name="Policy team",
        consultation=consultation,
        live=True,
        published_at=clock.now - timedelta(days=2),
        **fields,
    )
    db.session.add(post)
    return post


def comment(post: NewsPost, reader: Reader, body: str, created_at, **fields) -> Comment:
    made = Comment(post=post, reader=reader, body=body, created_at=created_at, **fields)
    db.session.add(made)
    return made


def report(made: Comment, reason: str, note: str, created_at) -> None:
    db.session.add(
        CommentReport(
            comment=made,
            reason=reason,
            note=note,
            reporter=secrets.token_hex(32),
            created_at=created_at,
        )
    )


def thread(make_consultation, clock) -> Comment:
    """Two posts: one open, with two comments shown, one hidden by three reports and one
    reported once; one with comments switched off, with a comment. Returns the comment
    reported once, for a moderator to remove."""
    consultation = make_consultation()
    bo = make_reader("bo@example.org", "Bo Lund")
    cy = make_reader("cy@example.org", "Cyrus Montgomery-Llewellyn")
    post = make_post(clock, OPEN_SLUG, OPEN_TITLE, consultation)
    earlier = clock.now - timedelta(days=1)
    comment(
        post,
        bo,
        f"The report is here: {LONG_LINK}\nIt says early talks helped in 7 of 10 councils.",
        earlier,
    )
    held = comment(post, cy, "Buy my product at www.example.com", earlier + timedelta(hours=1))
    for reason in ("spam", "spam", "off_topic"):
        report(held, reason, "An advert.", earlier + timedelta(hours=2))
    held.status = HELD
    reported = comment(
        post,
        cy,
        "Our commissioner, whose name I will not give here, never answers email.",
        earlier + timedelta(hours=3),
        edited_at=earlier + timedelta(hours=3, minutes=5),
    )
    report(reported, "personal_information", "", earlier + timedelta(hours=4))
    closed = make_post(clock, CLOSED_SLUG, CLOSED_TITLE, comments_on=False)
    comment(closed, bo, "Thank you for publishing this.", earlier)
    db.session.commit()
    return reported


def signed_in_reader(page: Page, live_server, clock, email: str, name: str | None) -> Reader:
    """A reader with a session on this page's browser, as the sign-in link leaves one."""
    reader = make_reader(email, name)
    token = secrets.token_urlsafe(32)
    db.session.add(
        ReaderSession(
            reader=reader,
            token_hash=sessions.token_hash(token),
            expires_at=clock.now + sessions.LASTS,
        )
    )
    db.session.commit()
    page.context.add_cookies([{"name": sessions.COOKIE, "value": token, "url": live_server.url}])
    return reader


# Reading the pages.


def thread_heading(page: Page) -> Locator:
    return page.locator("#comments-heading")


def errors_summary(page: Page) -> Locator:
    return page.get_by_role("alert").get_by_role("link")


def post_comment(page: Page, clock) -> None:
    clock.advance(seconds=10)  # quicker than SUBMIT_MIN_SECONDS looks like a bot
    press(page, "Post comment")


def test_news_comments_and_moderation_look_right_in_every_state(
    open_page, javascript, live_server, admin_user, make_consultation, clock, look
):
    to_remove = thread(make_consultation, clock)

    # Signed out: the news, a post's thread, signing in.
    visitor = open_page()
    visit(visitor, "/news")
    expect(visitor.get_by_role("link", name=OPEN_TITLE)).to_be_visible()
    look(visitor, "list")
    visitor.get_by_role("link", name=OPEN_TITLE).click()
    expect(heading(visitor)).to_have_text(OPEN_TITLE)
    expect(thread_heading(visitor)).to_have_text("Readers' comments (2)")
    expect(visitor.get_by_role("link", name=LONG_LINK)).to_be_visible()
    expect(
        visitor.get_by_text("This comment is hidden while a moderator looks at it.")
    ).to_be_visible()
    look(visitor, "post-signed-out")
    visitor.get_by_role("link", name="Sign in to comment").click()
    expect(heading(visitor)).to_have_text("Sign in to comment")
    look(visitor, "sign-in")
    visitor.get_by_label("Email address").fill("dee@example.org")
    clock.advance(seconds=10)
    press(visitor, "Email me a sign-in link")
    expect(heading(visitor)).to_have_text("Check your email")
    look(visitor, "check-your-email")
    visitor.context.close()

    # Signed in for the first time: a name, then the thread with its form.
    reader = open_page()
    signed_in_reader(reader, live_server, clock, "ada@example.org", None)
    visit(reader, f"/readers/name?next=/news/{OPEN_SLUG}")
    first_time = "Choose the name to show beside your comments"
    expect(heading(reader)).to_have_text(first_time)
    look(reader, "name")
    reader.get_by_label(first_time).fill("Ada L")
    press(reader, "Save and continue")
    expect(heading(reader)).to_have_text(OPEN_TITLE)
    expect(reader.get_by_label("Your comment")).to_be_visible()
    look(reader, "post-signed-in")

    # The form's errors: in place with JavaScript, on the thread's own page without.
    post_comment(reader, clock)
    expect(errors_summary(reader)).to_have_text(["Enter a comment"])
    look(reader, "comment-error-empty")
    too_long = "a" * (MOST_CHARACTERS + 1)
    reader.get_by_label("Your comment").fill(too_long)
    post_comment(reader, clock)
    expect(errors_summary(reader)).to_have_text(["Comment must be 2,000 characters or fewer"])
    expect(reader.get_by_label("Your comment")).to_have_value(too_long)
    look(reader, "comment-error-too-long")
    reader.get_by_label("Your comment").fill(f"I agree. See {LONG_LINK}")
    post_comment(reader, clock)
    expect(
        reader.get_by_role("status").filter(has_text="Your comment has been posted.")
    ).to_be_visible()

    # A moderator removes a reported comment, with a reason.
    moderator = open_page()
    sign_in(moderator, lambda _page: None)  # the sign-in pages are test_admin_journey's
    visit(moderator, "/admin/comments")
    expect(heading(moderator)).to_have_text("Reported comments")
    expect(moderator.locator(".admin-item")).to_have_count(2)
    look(moderator, "moderation-queue")
    moderator.get_by_role(
        "link", name=f"Comment {to_remove.id} by Cyrus Montgomery-Llewellyn"
    ).click()
    expect(heading(moderator)).to_have_text(f"Comment {to_remove.id}")
    look(moderator, "moderation-comment")
    moderator.get_by_label("Reason for removing it").fill(REMOVE_REASON)
    press(moderator, "Remove the comment")
    expect(moderator.locator("#flashes")).to_contain_text("The comment is removed from its thread.")
    moderator.context.close()

    # The thread with a hidden and a removed comment; a closed thread; the account.
    visit(reader, f"/news/{OPEN_SLUG}")
    expect(reader.get_by_text("This comment was removed by a moderator.")).to_be_visible()
    expect(
        reader.get_by_text("This comment is hidden while a moderator looks at it.")
    ).to_be_visible()
    expect(thread_heading(reader)).to_have_text("Readers' comments (2)")
    expect(reader.get_by_role("link", name="Delete your comment")).to_have_count(1)
    look(reader, "post-hidden-and-removed")
    visit(reader, f"/news/{CLOSED_SLUG}")
    expect(reader.get_by_text("Comments are closed.")).to_be_visible()
    expect(reader.get_by_label("Your comment")).to_have_count(0)
    look(reader, "post-closed")
    reader.get_by_role("navigation", name="Your account").get_by_role(
        "link", name="Your comments"
    ).click()
    expect(heading(reader)).to_have_text("Your comments")
    expect(reader.get_by_role("link", name=OPEN_TITLE)).to_be_visible()
    look(reader, "account")
