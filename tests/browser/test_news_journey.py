"""An admin publishes a news post about a consultation; a reader signs in from the email a
real SMTP server received and comments with a link and some HTML; three other readers
report the comment, which hides it at once; a policy officer finds it in the moderation
queue and shows it again.

With JavaScript on and off, at a phone's 390x844. Every page is watched for what a reader's
text must never do: run a script (window.__xss), open a dialog, break the site's
Content-Security-Policy (a "securitypolicyviolation" listener added before the page's own
scripts, and Chromium's console, which reports a violation with JavaScript off too), or
raise an error. How each state looks is tests/browser/test_news_look.py's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import ConsoleMessage, Dialog, Locator, Page, expect
from sqlalchemy import select

from app.extensions import db
from app.models import Comment
from app.models.news import VISIBLE
from tests.browser.test_respondent_journey import deliver, newest_to
from tests.support.browser import heading, mark_document, press, sign_in, visit
from tests.support.factories import OFFICER_EMAIL, OFFICER_PASSWORD, TITLE, make_officer

pytestmark = pytest.mark.browser

POST_TITLE = "We want to hear about experiences with local authority commissioning"
POST_SLUG = "we-want-to-hear-about-experiences-with-local-authority-commissioning"
POST_PATH = f"/news/{POST_SLUG}"
SUMMARY = "Our consultation on commissioning is open. Here is what we are asking, and why."
BODY = (
    "## What we are asking\n\n"
    "We want to know how councils buy the services you use.\n\n"
    "- what has worked\n"
    "- what has not"
)
ADA = "ada@example.org"
ADA_NAME = "Ada L"
SIGN_IN_LINK = re.compile(r"https?://\S+(/readers/sign-in/\S+)")
# A link, tags and a script: the link becomes a link, and everything else is text.
HOSTILE = (
    "See https://example.org/report and <b>bold</b> <script>window.__xss=1</script> "
    '<img src="x" onerror="alert(1)">'
)
REPORTS = [  # the reason each of three other readers gives, and their note
    ("Offensive", "It is rude."),
    ("Spam", "An advert."),
    ("Personal information", ""),
]


# Watching for what a reader's text must never do.

# Runs before the page's own scripts, on every document the page loads. With JavaScript
# off Chromium still runs it but fires no events: its console reports violations then.
WATCH_SCRIPT = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


@dataclass
class Watch:
    """A page, and the dialogs, console errors and page errors it has had."""

    page: Page
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @classmethod
    def on(cls, page: Page) -> Watch:
        watch = cls(page)
        page.add_init_script(WATCH_SCRIPT)
        page.on("dialog", watch._dialog)
        page.on("console", watch._console)
        page.on("pageerror", lambda error: watch.errors.append(f"page error: {error}"))
        return watch

    def _dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def assert_clean(self) -> None:
        """Nothing ran, and nothing was refused, on the page as it is now; no dialog or
        error on any page it showed before."""
        xss, violations = self.page.evaluate("[typeof window.__xss, window.__violations]")
        assert xss == "undefined", f"a script set window.__xss on {self.page.url}"
        assert violations == [], f"CSP violations on {self.page.url}: {violations}"
        assert self.dialogs == [], f"dialogs opened: {self.dialogs}"
        assert self.errors == [], f"errors in the console: {self.errors}"


@pytest.fixture
def people(open_page) -> Callable[[], Watch]:
    """Open a watched page in a browser of its own, for each person in the story."""
    return lambda: Watch.on(open_page())


# Reading the thread.


def thread_heading(page: Page) -> Locator:
    return page.locator("#comments-heading")


def status(page: Page, words: str) -> Locator:
    """A message said politely: a flash after a redirect, or in place with htmx."""
    return page.get_by_role("status").filter(has_text=words)


def the_comment() -> Comment:
    db.session.rollback()
    [comment] = db.session.scalars(select(Comment))
    return comment


# The people in the story.


def admin_publishes_the_post(watch: Watch) -> None:
    """Through the admin area's menu, the form, the preview and its Publish button."""
    admin = watch.page
    sign_in(admin, lambda _page: watch.assert_clean())
    admin.get_by_role("navigation", name="Admin").get_by_role(
        "link", name="News", exact=True
    ).click()
    expect(heading(admin)).to_have_text("News posts")
    admin.get_by_role("link", name="Write a news post").click()
    expect(heading(admin)).to_have_text("Write a news post")
    admin.get_by_label("Title", exact=True).fill(POST_TITLE)
    admin.get_by_label("Summary").fill(SUMMARY)
    admin.get_by_label("Body").fill(BODY)
    admin.get_by_label("Author's name").fill("Policy team")
    admin.get_by_label("Consultation (optional)").select_option(label=TITLE)
    press(admin, "Save and preview")

    expect(heading(admin)).to_have_text(POST_TITLE)
    preview = admin.get_by_role("region", name="Preview")
    expect(preview).to_contain_text("Readers cannot see it until it is published.")
    expect(admin.get_by_role("heading", level=2, name="What we are asking")).to_be_visible()
    watch.assert_clean()
    press(admin, "Publish")
    expect(status(admin, f"Your post is published at {POST_PATH}.")).to_be_visible()
    expect(preview.get_by_role("link", name=POST_PATH)).to_be_visible()
    watch.assert_clean()


def reader_signs_in_from_the_post(watch: Watch, clock, smtp_server) -> None:
    """From the news list to the post, "Sign in to comment", the email's link, a name, and
    back to the post."""
    ada = watch.page
    visit(ada, "/news")
    ada.get_by_role("link", name=POST_TITLE).click()
    expect(heading(ada)).to_have_text(POST_TITLE)
    expect(ada.get_by_role("link", name=TITLE)).to_be_visible()  # the consultation it is about
    expect(thread_heading(ada)).to_have_text("Readers' comments (0)")
    expect(ada.get_by_text("No comments yet.")).to_be_visible()
    watch.assert_clean()

    ada.get_by_role("link", name="Sign in to comment").click()
    expect(heading(ada)).to_have_text("Sign in to comment")
    ada.get_by_label("Email address").fill(ADA)
    clock.advance(seconds=10)  # quicker than SUBMIT_MIN_SECONDS looks like a bot
    press(ada, "Email me a sign-in link")
    expect(heading(ada)).to_have_text("Check your email")
    expect(ada.get_by_text(f"We have sent a sign-in link to {ADA}.")).to_be_visible()
    watch.assert_clean()

    deliver(clock)
    email = newest_to(smtp_server, ADA, "Your link to sign in and comment")
    visit(ada, SIGN_IN_LINK.search(email.text).group(1))
    expect(heading(ada)).to_have_text("Sign in to comment")
    expect(ada.get_by_text(f"You are signing in with {ADA}.")).to_be_visible()
    press(ada, "Sign in")  # opening the link alone signs no one in

    first_time = "Choose the name to show beside your comments"
    expect(heading(ada)).to_have_text(first_time)
    ada.get_by_label(first_time).fill(ADA_NAME)
    press(ada, "Save and continue")
    expect(ada).to_have_url(re.compile(rf"{re.escape(POST_PATH)}$"))
    expect(heading(ada)).to_have_text(POST_TITLE)
    expect(ada.get_by_role("navigation", name="Your account")).to_be_visible()
    expect(ada.get_by_text(f"You are commenting as {ADA_NAME}.")).to_be_visible()
    watch.assert_clean()


def reader_comments(watch: Watch, clock, javascript: bool) -> int:
    """Post the hostile comment; the thread shows the link as a link and the rest as text.
    Returns the comment's id."""
    ada = watch.page
    mark_document(ada, javascript)
    ada.get_by_label("Your comment").fill(HOSTILE)
    clock.advance(seconds=10)
    press(ada, "Post comment")
    expect(status(ada, "Your comment has been posted.")).to_be_visible()
    if javascript:
        assert ada.evaluate("window.sameDocument") is True, "the whole page was reloaded"

    comment = the_comment()
    assert comment.body == HOSTILE
    item = ada.locator(f"#comment-{comment.id}")
    expect(item.locator(".comment-author")).to_have_text(ADA_NAME)
    text = item.locator(".comment-text")
    expect(text).to_have_text(HOSTILE)  # the tags as the characters typed
    expect(text.locator("b, script, img")).to_have_count(0)
    link = text.get_by_role("link", name="https://example.org/report")
    expect(link).to_have_attribute("href", "https://example.org/report")
    assert {"nofollow", "ugc", "noopener"} <= set(link.get_attribute("rel").split())
    expect(thread_heading(ada)).to_have_text("Readers' comments (1)")
    watch.assert_clean()
    return comment.id


def reader_reports(
    watch: Watch, clock, javascript: bool, comment_id: int, reason: str, note: str
) -> Locator:
    """Open the post, follow "Report this comment", give a reason and send it. Returns the
    comment's place in the thread, for the outcome."""
    page = watch.page
    visit(page, POST_PATH)
    mark_document(page, javascript)
    item = page.locator(f"#comment-{comment_id}")
    expect(item).to_contain_text("Unsuitable or offensive?")
    item.get_by_role("link", name="Report this comment").click()
    if javascript:  # the form opens in the thread
        expect(item.get_by_role("heading", name="Report this comment")).to_be_visible()
    else:
        expect(heading(page)).to_have_text("Report a comment")
        expect(page.locator(".comment-quoted .comment-text")).to_have_text(HOSTILE)
    watch.assert_clean()
    page.get_by_role("radio", name=reason, exact=True).check()
    if note:
        page.get_by_label("Tell us more (optional)").fill(note)
    clock.advance(seconds=10)
    press(page, "Report comment")
    expect(status(page, "Thank you. A moderator will look at this comment.")).to_be_visible()
    expect(page).to_have_url(re.compile(rf"{re.escape(POST_PATH)}(#comment-{comment_id})?$"))
    if javascript:
        assert page.evaluate("window.sameDocument") is True, "the whole page was reloaded"
    return item


def moderator_restores(watch: Watch, comment_id: int) -> None:
    """A policy officer finds the comment in the queue and shows it again."""
    officer = watch.page
    sign_in(officer, lambda _page: watch.assert_clean(), OFFICER_EMAIL, OFFICER_PASSWORD)
    officer.get_by_role("navigation", name="Admin").get_by_role(
        "link", name="Comments", exact=True
    ).click()
    expect(heading(officer)).to_have_text("Reported comments")
    row = officer.locator(".admin-item").filter(has_text=POST_TITLE)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("<script>window.__xss=1</script>")
    expect(row).to_contain_text("3: ")
    watch.assert_clean()

    row.get_by_role("link", name=f"Comment {comment_id} by {ADA_NAME}").click()
    expect(heading(officer)).to_have_text(f"Comment {comment_id}")
    expect(officer.get_by_text("3 of 3 reports still count.")).to_be_visible()
    expect(officer.locator(".answer").filter(has_text="window.__xss")).to_have_text(HOSTILE)
    watch.assert_clean()
    press(officer, "Show the comment again")
    expect(
        status(officer, "The comment is shown again and its reports are dismissed.")
    ).to_be_visible()
    watch.assert_clean()

    # The comment's link to its place in the thread.
    officer.get_by_role("link", name=POST_TITLE).click()
    expect(heading(officer)).to_have_text(POST_TITLE)
    expect(officer).to_have_url(re.compile(rf"{re.escape(POST_PATH)}#comment-{comment_id}$"))
    expect(thread_heading(officer)).to_have_text("Readers' comments (1)")
    expect(officer.locator(f"#comment-{comment_id} .comment-text")).to_have_text(HOSTILE)
    watch.assert_clean()


# The journey.


def test_a_comment_three_readers_report_is_hidden_and_a_moderator_shows_it_again(
    people: Callable[[], Watch],
    javascript,
    admin_user,
    make_consultation,
    clock,
    smtp_server,
):
    make_consultation()
    make_officer()
    admin_publishes_the_post(people())

    author = people()
    reader_signs_in_from_the_post(author, clock, smtp_server)
    comment_id = reader_comments(author, clock, javascript)

    for number, (reason, note) in enumerate(REPORTS, start=1):
        reporter = people()  # a browser of their own, signed out: anyone may report
        item = reader_reports(reporter, clock, javascript, comment_id, reason, note)
        if number < len(REPORTS):
            expect(item).to_contain_text("You reported this comment.")
            expect(thread_heading(reporter.page)).to_have_text("Readers' comments (1)")
        else:  # hidden at once
            expect(item).to_contain_text("This comment is hidden while a moderator looks at it.")
            expect(item.locator(".comment-text")).to_have_count(0)
            expect(thread_heading(reporter.page)).to_have_text("Readers' comments (0)")
        reporter.assert_clean()
        reporter.page.context.close()
    assert the_comment().status != VISIBLE

    moderator_restores(people(), comment_id)
    assert the_comment().status == VISIBLE
