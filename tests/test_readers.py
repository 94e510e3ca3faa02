"""Readers, as they meet the site: asking for a sign-in link, the email read off a real
SMTP server and its link followed, choosing the name shown beside their comments, staying
signed in for 30 days, their account page, signing out and deleting the account.

Forms are filled in as a browser would: the page is loaded, the test clock moves on like a
person typing (the bot guard's minimum time), and the form is sent with its hidden fields.
Junk thrown at these forms is in tests/test_readers_fuzz.py, which uses the steps below.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from app.extensions import db
from app.models import (
    Comment,
    CommentReport,
    NewsPost,
    OutboxEmail,
    Reader,
    ReaderSession,
    ReaderSignIn,
)
from app.models.news import HELD, REMOVED
from app.readers import services
from app.updates.subscriptions import address_hash
from tests.support.clients import new_browser
from tests.support.pages import field_error, h1_text, page, redirect_path, summary_links, where
from tests.support.readers import make_reader, sign_in
from tests.test_updates_pages import deliver, form_to, hidden_of, said

ADA = "ada@example.org"
READER = "reader@example.org"  # tests.support.readers.make_reader's
SIGN_IN = "/readers/sign-in"
CHECK = "/readers/check-your-email"
NAME = "/readers/name"
ACCOUNT = "/readers/account"
DELETE = "/readers/delete"
SIGN_OUT = "/readers/sign-out"
POST_PATH = "/news/bold-commissioners"
LINK = re.compile(r"https?://\S+(/readers/sign-in/\S+)")
NOT_WORKING = "This sign-in link has expired or does not work"


# --- steps shared with the fuzz tests ----------------------------------------------------------


def ask(browser, clock, email: str = ADA, next_path: str | None = None, seconds=5, **fields):
    """Open the sign-in page (from a post's "Sign in to comment" when `next_path`), wait
    like a person, and ask for a link."""
    shown = browser.get(SIGN_IN, query_string={"next": next_path} if next_path else None)
    assert shown.status_code == 200, shown.status_code
    clock.advance(seconds=seconds)
    form = form_to(shown, SIGN_IN)
    return browser.post(SIGN_IN, data={**hidden_of(form), "website": "", "email": email, **fields})


def emails_to(smtp_server, runner, email: str = ADA) -> list:
    deliver(runner)
    return smtp_server.to(email)


def link_path(received) -> str:
    found = LINK.search(received.text)
    assert found, received.text
    return found.group(1)


def latest_link(smtp_server, runner, email: str = ADA) -> str:
    """The path of the newest sign-in link the server received for `email`."""
    received = emails_to(smtp_server, runner, email)
    assert received, f"no email to {email}"
    return link_path(received[-1])


def press_sign_in(browser, path: str):
    """Open the link's page and press its one button."""
    shown = browser.get(path)
    assert shown.status_code == 200, (shown.status_code, said(shown))
    assert h1_text(shown) == "Sign in to comment"
    return browser.post(path, data=hidden_of(form_to(shown, path)))


def choose_name(browser, name: str, path: str = NAME):
    shown = browser.get(path)
    assert shown.status_code == 200
    return browser.post(NAME, data={**hidden_of(form_to(shown, NAME)), "name": name})


def signed_in_by_email(browser, clock, smtp_server, runner, email=ADA, name="Ada", next_path=None):
    """The whole journey: ask, read the email, press Sign in, choose a name if asked."""
    assert ask(browser, clock, email, next_path).status_code == 303
    answer = press_sign_in(browser, latest_link(smtp_server, runner, email))
    if redirect_path(answer) == NAME:
        answer = choose_name(browser, name, where(answer))
    return answer


def reader_of(email: str = ADA) -> Reader | None:
    db.session.rollback()
    return db.session.scalar(select(Reader).filter_by(email_hash=address_hash(email)))


def count(model, *conditions) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model).where(*conditions))


def header_links(shown) -> list[str]:
    header = page(shown).find("header")
    return [" ".join(tag.get_text().split()) for tag in header.find_all(["a", "button"])]


@contextmanager
def statements_counted() -> Iterator[list[str]]:
    """The SQL statements sent to the database meanwhile, as a list that fills as they go."""
    sent: list[str] = []

    def note(_conn, _cursor, statement, _parameters, _context, _executemany):
        sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", note)


RIGHT_TO_LEFT_NAME = "مريم الحسن 2"


def name_isolations(part, name: str) -> list[bool]:
    """For each place in `part` (parsed HTML) that shows `name`: whether it stands alone in
    a <bdi>, so that a right-to-left name cannot reorder the words around it."""
    return [
        text.parent.name == "bdi" and text.strip() == name
        for text in part.find_all(string=lambda text: name in text)
    ]


def make_post(clock, slug: str = "bold-commissioners", title: str = "Bold commissioners"):
    post = NewsPost(
        slug=slug,
        title=title,
        summary="What makes a bold commissioner.",
        body="Some words.",
        author_name="The policy team",
        live=True,
        published_at=clock.now - timedelta(days=1),
    )
    db.session.add(post)
    db.session.commit()
    return post


def make_comment(post, reader, body: str, clock, **fields) -> Comment:
    comment = Comment(post=post, reader=reader, body=body, created_at=clock.now, **fields)
    db.session.add(comment)
    db.session.commit()
    return comment


# --- signing in from the email -----------------------------------------------------------------


def test_a_reader_signs_in_from_the_email_chooses_a_name_and_goes_back_to_the_post(
    client, clock, smtp_server, runner
):
    asked = ask(client, clock, ADA, next_path=POST_PATH)
    assert redirect_path(asked) == CHECK
    check = client.get(CHECK)
    assert h1_text(check) == "Check your email"
    assert ADA in said(check)
    assert ADA not in said(client.get(CHECK))  # shown once, then forgotten
    assert reader_of() is None  # asking makes no reader

    (received,) = emails_to(smtp_server, runner)
    assert received.message["Subject"] == "Your link to sign in and comment"
    assert "works once, for 30 minutes" in received.text
    path = link_path(received)
    assert path in received.html

    # Opening the link changes nothing: link scanners open links.
    shown = client.get(path)
    assert h1_text(shown) == "Sign in to comment" and ADA in said(shown)
    assert "Your comments" not in header_links(shown)
    assert count(ReaderSignIn, ReaderSignIn.used_at.is_not(None)) == 0

    pressed = client.post(path, data=hidden_of(form_to(shown, path)))
    assert where(pressed) == f"{NAME}?next={POST_PATH}"
    cookie = pressed.headers["Set-Cookie"]
    assert cookie.startswith("reader=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Max-Age=2592000" in cookie  # 30 days
    assert reader_of().name is None

    asked_name = client.get(where(pressed))
    assert h1_text(asked_name) == "Choose the name to show beside your comments"
    named = client.post(
        NAME, data={**hidden_of(form_to(asked_name, NAME)), "name": "  Ada   Lovelace "}
    )
    assert where(named) == POST_PATH
    assert reader_of().name == "Ada Lovelace"

    account = client.get(ACCOUNT)
    assert account.status_code == 200
    assert "Ada Lovelace" in said(account) and ADA in said(account)
    assert header_links(account)[-2:] == ["Your comments", "Sign out"]


def test_the_name_is_asked_the_first_time_only(client, clock, smtp_server, runner):
    first = signed_in_by_email(client, clock, smtp_server, runner, name="Ada")
    assert where(first) == ACCOUNT  # no next: the account page
    again = new_browser(client.application)
    answer = signed_in_by_email(again, clock, smtp_server, runner, next_path=POST_PATH)
    assert where(answer) == POST_PATH
    assert reader_of().name == "Ada"
    assert count(Reader) == 1


def test_the_link_and_the_session_are_stored_only_as_hashes(client, clock, smtp_server, runner):
    ask(client, clock)
    path = latest_link(smtp_server, runner)
    token = path.rsplit("/", 1)[1]
    db.session.rollback()
    [link] = db.session.scalars(select(ReaderSignIn)).all()
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    stored = [str(getattr(link, column.key)) for column in ReaderSignIn.__table__.columns]
    assert not any(token in value for value in stored)

    press_sign_in(client, path)
    cookie = client.get_cookie("reader").value
    db.session.rollback()
    [session] = db.session.scalars(select(ReaderSession)).all()
    assert session.token_hash == hashlib.sha256(cookie.encode()).hexdigest()
    stored = [str(getattr(session, column.key)) for column in ReaderSession.__table__.columns]
    assert not any(cookie in value for value in stored)


def test_a_link_works_once(client, clock, smtp_server, runner):
    ask(client, clock)
    path = latest_link(smtp_server, runner)
    shown = client.get(path)
    assert press_sign_in(client, path).status_code == 303

    # The same browser pressing again (a double click) is already in: it just goes on.
    again = client.post(path, data=hidden_of(form_to(shown, path)))
    assert where(again) == NAME
    assert where(client.get(path)) == NAME

    other = new_browser(client.application)
    shown = other.get(path)
    assert shown.status_code == 410 and h1_text(shown) == NOT_WORKING
    assert page(shown).find("a", string="Get a new sign-in link")["href"] == SIGN_IN
    assert client.get(ACCOUNT).status_code == 200
    assert redirect_path(other.get(ACCOUNT)) == SIGN_IN
    assert count(ReaderSession) == 1


def test_a_used_link_refuses_a_press_from_another_browser(client, clock, smtp_server, runner):
    ask(client, clock)
    path = latest_link(smtp_server, runner)
    other = new_browser(client.application)
    other_page = other.get(path)  # both open the page before either presses
    assert press_sign_in(client, path).status_code == 303
    pressed = other.post(path, data=hidden_of(form_to(other_page, path)))
    assert pressed.status_code == 410 and h1_text(pressed) == NOT_WORKING
    assert "Set-Cookie" not in pressed.headers or "reader=" not in pressed.headers["Set-Cookie"]
    assert count(ReaderSession) == 1


def test_a_link_expires_after_30_minutes(client, clock, smtp_server, runner):
    ask(client, clock, next_path=POST_PATH)
    path = latest_link(smtp_server, runner)
    clock.advance(minutes=29, seconds=59)
    shown = client.get(path)
    assert shown.status_code == 200
    clock.advance(seconds=1)
    pressed = client.post(path, data=hidden_of(form_to(shown, path)))
    assert pressed.status_code == 410 and h1_text(pressed) == NOT_WORKING
    new_link = page(pressed).find("a", string="Get a new sign-in link")["href"]
    assert new_link == f"{SIGN_IN}?next={POST_PATH}"
    assert client.get(path).status_code == 410
    assert reader_of() is None and count(ReaderSession) == 0


def test_a_link_that_was_never_sent_does_not_work(client):
    for token in ("x" * 43, "short", "é" * 43):
        shown = client.get(f"{SIGN_IN}/{token}")
        assert shown.status_code == 404 and h1_text(shown) == NOT_WORKING


def test_an_email_that_could_not_be_sent_in_time_is_never_sent(client, clock, smtp_server, runner):
    smtp_server.stop()
    ask(client, clock)
    deliver(runner)  # the server is down: it waits for a retry
    smtp_server.start()
    clock.advance(minutes=31)
    deliver(runner)
    assert smtp_server.to(ADA) == []
    (email,) = db.session.scalars(select(OutboxEmail).filter_by(kind="reader_sign_in"))
    assert email.status == "withdrawn"


# --- what asking says --------------------------------------------------------------------------


def check_page_text(browser) -> str:
    return said(browser.get(CHECK))


def test_asking_says_the_same_for_a_known_and_an_unknown_address(client, clock):
    make_reader("known@example.org", "Known")
    answers = {}
    for email in ("known@example.org", "unknown@example.org"):
        browser = new_browser(client.application)
        asked = ask(browser, clock, email)
        answers[email] = (asked.status_code, where(asked), check_page_text(browser))
    known, unknown = answers.values()
    assert known == (
        unknown[0],
        unknown[1],
        unknown[2].replace("unknown@example.org", "known@example.org"),
    )
    assert count(OutboxEmail, OutboxEmail.kind == "reader_sign_in") == 2
    assert reader_of("unknown@example.org") is None


@pytest.mark.parametrize(
    "trap",
    [
        pytest.param({"website": "https://spam.example"}, id="honeypot"),
        pytest.param({"seconds": 0}, id="too-fast"),
        pytest.param({"loaded": "forged"}, id="forged-stamp"),
    ],
)
def test_a_bot_gets_the_same_page_and_nothing_is_sent(client, clock, trap):
    seconds = trap.pop("seconds", 5)
    asked = ask(client, clock, ADA, seconds=seconds, **trap)
    assert asked.status_code == 303 and redirect_path(asked) == CHECK
    assert h1_text(client.get(CHECK)) == "Check your email"
    assert count(ReaderSignIn) == 0 and count(OutboxEmail) == 0


@pytest.fixture
def unlimited(app_config):
    """No limit per network address, which counts in real time, not the test clock's."""
    app_config["RATELIMIT_READER_SIGN_IN"] = "1000 per minute"


def test_at_most_3_links_go_to_an_address_in_30_minutes(
    unlimited, client, clock, smtp_server, runner
):
    for email in (ADA, ADA.upper(), f" {ADA} "):
        assert redirect_path(ask(client, clock, email)) == CHECK
    fourth = ask(client, clock, ADA)
    assert redirect_path(fourth) == CHECK
    assert len(emails_to(smtp_server, runner)) == 3
    assert count(ReaderSignIn) == 3
    # Another address is not held back by this one.
    assert redirect_path(ask(client, clock, "bea@example.org")) == CHECK
    assert len(emails_to(smtp_server, runner, "bea@example.org")) == 1

    clock.advance(minutes=30)
    assert redirect_path(ask(client, clock, ADA)) == CHECK
    assert len(emails_to(smtp_server, runner)) == 4


def test_asking_is_limited_per_network_address(app_config, clock, request):
    app_config["RATELIMIT_READER_SIGN_IN"] = "2 per minute"
    app = request.getfixturevalue("app")
    browser = new_browser(app)
    assert ask(browser, clock, "one@example.org").status_code == 303
    assert ask(browser, clock, "two@example.org").status_code == 303
    refused = ask(browser, clock, "three@example.org")
    assert refused.status_code == 429
    assert count(ReaderSignIn) == 2


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("", "Enter your email address"),
        ("ada", "Enter an email address in the correct format, like name@example.com"),
        ("adé@example.org", "Enter an email address with only English letters"),
    ],
)
def test_a_mistake_in_the_address_is_shown_with_what_was_typed(client, clock, email, message):
    answer = ask(client, clock, email, next_path=POST_PATH)
    assert answer.status_code == 422
    assert field_error(answer, "email").startswith(message)
    assert list(summary_links(answer).values()) == ["email"]
    assert page(answer).find("input", attrs={"name": "email"})["value"] == email
    assert page(answer).find("input", attrs={"name": "next"})["value"] == POST_PATH
    assert count(ReaderSignIn) == 0


# --- where a sign-in leads ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "//evil.example/news",
        "https://evil.example/news",
        "/news/../admin",
        "/news/%2e%2e/admin",
        "/news\\@evil.example",
        "/admin",
        "/newsletter",
        "javascript:alert(1)",
        "/news//evil.example",
        "/news/" + "a" * 300,
    ],
)
def test_only_news_paths_on_this_site_are_kept(value):
    assert services.safe_next(value) == ""


@pytest.mark.parametrize("value", ["/news", "/news/", POST_PATH, f"{POST_PATH}#comments"])
def test_news_paths_are_kept(value):
    assert services.safe_next(value) == value


@pytest.mark.parametrize("value", ["//evil.example/", "https://evil.example/news", "/admin"])
def test_a_sign_in_never_leads_off_the_news(client, clock, smtp_server, runner, value):
    shown = client.get(SIGN_IN, query_string={"next": value})
    assert page(shown).find("input", attrs={"name": "next"})["value"] == ""
    # Even a form that says otherwise.
    asked = ask(client, clock, next=value)
    assert redirect_path(asked) == CHECK
    assert count(ReaderSignIn, ReaderSignIn.next_path != "") == 0
    answer = press_sign_in(client, latest_link(smtp_server, runner))
    assert where(answer) == NAME
    named = client.post(
        NAME,
        data={**hidden_of(form_to(client.get(NAME), NAME)), "name": "Ada", "next": value},
    )
    assert where(named) == ACCOUNT


# --- staying signed in, signing out ------------------------------------------------------------


def test_a_session_lasts_30_days(client, clock, smtp_server, runner):
    signed_in_by_email(client, clock, smtp_server, runner)
    clock.advance(days=30, seconds=-1)
    assert client.get(ACCOUNT).status_code == 200
    clock.advance(seconds=1)
    gone = client.get(ACCOUNT)
    assert redirect_path(gone) == SIGN_IN
    assert "Your comments" not in header_links(client.get("/"))


def test_signing_out_ends_only_this_device(client, clock, smtp_server, runner):
    signed_in_by_email(client, clock, smtp_server, runner)
    phone = new_browser(client.application)
    sign_in(phone, reader_of())
    account = client.get(ACCOUNT)
    form = page(account).find("header").find("form", action=SIGN_OUT)
    assert form is not None, "no Sign out button in the header"

    out = client.post(SIGN_OUT, data=hidden_of(form))
    assert redirect_path(out) == "/"
    assert "reader=;" in out.headers["Set-Cookie"]
    home = client.get("/")
    assert "You have signed out." in said(home)
    assert "Your comments" not in header_links(home)
    assert redirect_path(client.get(ACCOUNT)) == SIGN_IN
    assert phone.get(ACCOUNT).status_code == 200
    assert count(ReaderSession) == 1


def test_the_header_says_nothing_of_readers_to_someone_signed_out(client):
    home = client.get("/")
    assert not {"Your comments", "Sign out"} & set(header_links(home))
    assert page(home).find("nav", attrs={"aria-label": "Your account"}) is None
    assert "reader" not in home.headers.get("Set-Cookie", "")


def test_a_readers_cookie_never_opens_the_admin_area(client, admin_user):
    sign_in(client, make_reader())
    for path in ("/admin/", "/admin/users", "/admin/outbox"):
        answer = client.get(path)
        assert answer.status_code in (302, 303), (path, answer.status_code)
        assert redirect_path(answer) == "/admin/login"
    login = client.get("/admin/login")
    assert "Your comments" not in header_links(login)


@pytest.mark.parametrize("path", [ACCOUNT, NAME, DELETE])
def test_the_readers_own_pages_ask_someone_signed_out_to_sign_in(client, path):
    assert redirect_path(client.get(path)) == SIGN_IN


# --- the name ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter the name to show beside your comments"),
        (" \n\t ", "Enter the name to show beside your comments"),
        ("A" * 51, "Name must be 50 characters or fewer"),
        ("Ada\u202eecalevoL", "Name must not include invisible formatting characters"),
        ("\u200b", "Name must not include invisible formatting characters"),
    ],
)
def test_a_name_must_be_one_short_line(client, typed, message):
    reader = make_reader(name=None)
    sign_in(client, reader)
    answer = choose_name(client, typed)
    assert answer.status_code == 422
    assert field_error(answer, "name") == message
    assert list(summary_links(answer)) == [message]
    assert reader_of(reader.email).name is None


def test_a_name_keeps_what_is_allowed(client):
    sign_in(client, make_reader(name=None))
    assert choose_name(client, "B" * 50).status_code == 303
    assert reader_of(READER).name == "B" * 50
    assert choose_name(client, "Zoë\nO\u2019Brien 👩\u200d👩\u200d👧").status_code == 303
    assert reader_of(READER).name == "Zoë O\u2019Brien 👩\u200d👩\u200d👧"


def test_a_reader_changes_their_name_from_the_account_page(client):
    sign_in(client, make_reader(name="Sam"))
    account = client.get(ACCOUNT)
    change = page(account).find("a", href=NAME)
    assert change is not None
    shown = client.get(NAME)
    assert h1_text(shown) == "Change your name"
    assert page(shown).find("input", attrs={"name": "name"})["value"] == "Sam"
    answer = client.post(NAME, data={**hidden_of(form_to(shown, NAME)), "name": "Samira"})
    assert where(answer) == ACCOUNT
    after = client.get(ACCOUNT)
    assert "Your name has been changed." in said(after) and "Samira" in said(after)


# --- the account page --------------------------------------------------------------------------


def test_the_account_page_lists_the_readers_comments_with_their_state(client, clock):
    reader = make_reader()
    other = make_reader("other@example.org", "Other")
    post = make_post(clock)
    hidden = make_post(clock, "drafted", "Drafted post")
    hidden.live = False
    db.session.commit()
    shown = make_comment(post, reader, "First line\n<b>not bold</b>", clock)
    clock.advance(hours=1)
    make_comment(hidden, reader, "On a post gone", clock)
    make_comment(post, reader, "Held back", clock, status=HELD)
    clock.advance(hours=1)
    make_comment(post, reader, "Taken down", clock, status=REMOVED, removed_reason="Off topic")
    make_comment(post, other, "Not mine", clock)
    sign_in(client, reader)

    account = client.get(ACCOUNT)
    text = said(account)
    items = page(account).find_all("li", class_="card")
    assert len(items) == 4 and "Not mine" not in text
    assert "Taken down" in " ".join(items[0].get_text().split())  # newest first
    assert "A moderator removed this comment. The reason they gave: Off topic" in text
    assert "This comment is hidden while a moderator looks at it." in text
    link = page(account).find("a", href=f"{POST_PATH}#comment-{shown.id}")
    assert link is not None and link.get_text() == "Bold commissioners"
    assert page(account).find("a", string="Drafted post") is None
    assert "This news post is no longer on the site." in text
    first = items[-1]
    assert first.find("b") is None and "<b>not bold</b>" in first.get_text()
    assert first.find("br") is not None


def test_the_account_page_reads_the_posts_of_the_comments_in_one_statement(client, clock):
    reader = make_reader()
    for n in range(30):
        make_comment(make_post(clock, f"post-{n}", f"Post {n}"), reader, f"Comment {n}", clock)
    sign_in(client, reader)
    client.get(ACCOUNT)

    with statements_counted() as sent:
        account = client.get(ACCOUNT)

    assert len(page(account).find_all("li", class_="card")) == 30
    assert len(sent) < 8, sent


def test_a_blocked_reader_signs_in_and_is_told_they_cannot_comment(
    client, clock, smtp_server, runner
):
    reader = make_reader(ADA, "Ada")
    reader.blocked_at = clock.now
    reader.blocked_by = "admin@example.org"
    reader.blocked_reason = "Repeated personal attacks"
    db.session.commit()
    answer = signed_in_by_email(client, clock, smtp_server, runner)
    assert where(answer) == ACCOUNT
    account = client.get(ACCOUNT)
    text = said(account)
    assert "You cannot comment" in text
    assert "The reason they gave: Repeated personal attacks" in text
    assert "admin@example.org" not in text


def test_a_blocked_reader_cannot_change_their_name(client, clock):
    reader = make_reader(ADA, "Ada")
    make_comment(make_post(clock), reader, "Kept after the block", clock)
    sign_in(client, reader)
    typed = {**hidden_of(form_to(client.get(NAME), NAME)), "name": "Someone else"}
    reader.blocked_at = clock.now
    db.session.commit()

    assert page(client.get(ACCOUNT)).find("a", href=NAME) is None
    for answer in (client.get(NAME), client.post(NAME, data=typed)):
        assert answer.status_code == 403
        assert h1_text(answer) == "You cannot change your name"
        assert (
            "A moderator has stopped you commenting on this site, so you cannot change your name."
            in said(answer)
        )
    assert reader_of().name == "Ada"
    assert "Ada" in said(client.get(POST_PATH)) and "Someone else" not in said(
        client.get(POST_PATH)
    )


def test_a_blocked_reader_with_no_name_yet_may_choose_one_once(client, clock):
    reader = make_reader(ADA, None)
    reader.blocked_at = clock.now
    db.session.commit()
    sign_in(client, reader)
    assert page(client.get(ACCOUNT)).find("a", href=NAME) is not None

    assert where(choose_name(client, "Ada")) == ACCOUNT
    assert reader_of().name == "Ada"
    assert page(client.get(ACCOUNT)).find("a", href=NAME) is None
    assert client.get(NAME).status_code == 403


def test_the_account_page_keeps_a_right_to_left_name_apart(client):
    sign_in(client, make_reader(name=RIGHT_TO_LEFT_NAME))
    main = page(client.get(ACCOUNT)).find("main")
    assert name_isolations(main, RIGHT_TO_LEFT_NAME) == [True]


def test_an_unblocked_reader_is_not_told_they_cannot_comment(client):
    sign_in(client, make_reader())
    assert "You cannot comment" not in said(client.get(ACCOUNT))


# --- deleting the account ----------------------------------------------------------------------


def delete_account(browser, choice: str | None):
    shown = browser.get(DELETE)
    assert shown.status_code == 200 and h1_text(shown) == "Delete your account"
    data = hidden_of(form_to(shown, DELETE))
    if choice is not None:
        data["comments"] = choice
    return browser.post(DELETE, data=data)


@pytest.fixture
def commented(client, clock, smtp_server, runner):
    """Ada, signed in by email on this browser and another, with two comments (one
    reported), beside another reader's comment."""
    signed_in_by_email(client, clock, smtp_server, runner)
    ada = reader_of()
    phone = new_browser(client.application)
    sign_in(phone, ada)
    post = make_post(clock)
    mine = make_comment(post, ada, "Mine", clock)
    make_comment(post, ada, "Also mine", clock)
    make_comment(post, make_reader("bea@example.org", "Bea"), "Bea's", clock)
    db.session.add(CommentReport(comment=mine, reason="spam", reporter="x" * 64))
    db.session.commit()
    return phone


def test_deleting_the_account_with_its_comments(client, commented):
    answer = delete_account(client, "delete")
    assert where(answer) == "/readers/deleted"
    assert "reader=;" in answer.headers["Set-Cookie"]
    done = client.get(where(answer))
    assert h1_text(done) == "Your account has been deleted"
    assert "We have deleted your comments." in said(done)

    assert reader_of() is None
    assert count(ReaderSession) == 0 and count(ReaderSignIn) == 0
    assert [c.body for c in db.session.scalars(select(Comment))] == ["Bea's"]
    assert count(CommentReport) == 0
    assert redirect_path(commented.get(ACCOUNT)) == SIGN_IN  # every device
    assert count(OutboxEmail, OutboxEmail.to_addr.contains(ADA)) == 0


def test_deleting_the_account_keeping_its_comments(client, commented):
    answer = delete_account(client, "keep")
    done = client.get(where(answer))
    assert "as from \u2018a former reader\u2019" in said(done)
    assert reader_of() is None
    kept = {c.body: c.reader_id for c in db.session.scalars(select(Comment))}
    assert kept["Mine"] is None and kept["Also mine"] is None and kept["Bea's"] is not None
    assert count(CommentReport) == 1  # the report stays with the comment
    assert redirect_path(commented.get(ACCOUNT)) == SIGN_IN


@pytest.mark.parametrize("choice", [None, "", "everything"])
def test_deleting_asks_what_to_do_with_the_comments(client, commented, choice):
    answer = delete_account(client, choice)
    assert answer.status_code == 422
    message = "Select" + (
        " what should happen to your comments" if not choice else " one of the options shown"
    )
    assert field_error(answer, "comments") == message
    assert reader_of() is not None and count(Comment) == 3


def test_signing_in_again_after_deleting_starts_a_new_account(client, clock, smtp_server, runner):
    signed_in_by_email(client, clock, smtp_server, runner, name="Ada")
    delete_account(client, "delete")
    clock.advance(minutes=30)  # the rate per address counts no deleted links anyway
    answer = signed_in_by_email(client, clock, smtp_server, runner, name="Ada again")
    assert where(answer) == ACCOUNT
    assert reader_of().name == "Ada again"


@pytest.mark.parametrize("choice", ["keep", "delete"])
def test_a_blocked_reader_who_deletes_their_account_stays_blocked(
    client, clock, smtp_server, runner, choice
):
    signed_in_by_email(client, clock, smtp_server, runner, name="Ada")
    ada = reader_of()
    phone = new_browser(client.application)
    sign_in(phone, ada)
    post = make_post(clock)
    make_comment(post, ada, "Mine", clock)
    ada.blocked_at, ada.blocked_by, ada.blocked_reason = clock.now, "admin@example.org", "Spam"
    db.session.commit()
    assert "we will keep a hash of your email address" in said(client.get(DELETE))

    answer = delete_account(client, choice)
    done = client.get(where(answer))
    assert h1_text(done) == "Your account has been deleted"
    assert "If you sign in again with the same email address, you still cannot comment." in said(
        done
    )
    kept = reader_of()
    assert (kept.email, kept.name, kept.blocked_reason) == ("", None, "Spam")
    assert count(ReaderSession) == 0 and count(ReaderSignIn) == 0
    assert count(OutboxEmail, OutboxEmail.to_addr.contains(ADA)) == 0
    assert redirect_path(phone.get(ACCOUNT)) == SIGN_IN
    left = [(c.body, c.reader_id) for c in db.session.scalars(select(Comment))]
    assert left == ([("Mine", None)] if choice == "keep" else [])

    clock.advance(minutes=30)
    assert ask(client, clock).status_code == 303
    pressed = press_sign_in(client, latest_link(smtp_server, runner))
    assert redirect_path(pressed) == NAME  # the name went with the account
    assert where(choose_name(client, "Ada again")) == ACCOUNT
    assert count(Reader) == 1
    again = reader_of()
    assert (again.id, again.email, again.name, again.blocked) == (kept.id, ADA, "Ada again", True)
    assert "You cannot comment" in said(client.get(ACCOUNT))
    thread = client.get(POST_PATH)
    assert page(thread).find("form", class_="comment-form") is None
    assert "You cannot comment" in said(thread)


def test_the_privacy_notice_says_a_blocked_address_is_kept_as_a_hash(client):
    assert "we keep a hash of it" in said(client.get("/privacy"))


# --- the worker's housekeeping -----------------------------------------------------------------


def test_old_links_are_deleted_a_day_after_use_or_expiry(client, clock, smtp_server, runner):
    ask(client, clock, "used@example.org")
    press_sign_in(client, latest_link(smtp_server, runner, "used@example.org"))
    ask(client, clock, "unused@example.org")
    clock.advance(minutes=30)
    ask(client, clock, "recent@example.org")
    deliver(runner)
    links = {link.email: link for link in db.session.scalars(select(ReaderSignIn))}
    used_at, expires_at = links["used@example.org"].used_at, links["unused@example.org"].expires_at

    assert services.delete_expired_links(used_at + timedelta(days=1)) == 0
    assert services.delete_expired_links(used_at + timedelta(days=1, seconds=1)) == 1
    assert services.delete_expired_links(expires_at + timedelta(days=1)) == 0
    assert services.delete_expired_links(expires_at + timedelta(days=1, seconds=1)) == 1
    assert [link.email for link in db.session.scalars(select(ReaderSignIn))] == [
        "recent@example.org"
    ]
    assert client.get(ACCOUNT).status_code == 200  # the reader stays signed in


def test_the_worker_forgets_old_links_and_ended_sessions(client, clock, runner):
    ask(client, clock, "asked@example.org")
    sign_in(client, make_reader("kept@example.org"))
    assert count(ReaderSignIn) == 1 and count(ReaderSession) == 1

    clock.advance(days=30, seconds=-1)  # the session has a second left; the link is old
    assert "failed 0" in runner.invoke(args=["outbox", "send"]).output
    assert count(ReaderSignIn) == 0 and count(ReaderSession) == 1

    clock.advance(seconds=1)
    runner.invoke(args=["outbox", "send"])
    assert count(ReaderSession) == 0
    assert client.get(ACCOUNT).status_code == 303  # signed out: to the sign-in page


# --- what the site says about it ---------------------------------------------------------------


def test_the_cookies_page_lists_the_readers_cookie(client):
    rows = {
        " ".join(row.find("td").get_text().split()): " ".join(row.get_text(" ").split())
        for row in page(client.get("/cookies")).find("tbody").find_all("tr")
    }
    assert "reader" in rows
    assert "signed in to comment" in rows["reader"] and "30 days" in rows["reader"]


def test_the_privacy_notice_says_how_to_delete_a_readers_account(client):
    notice = client.get("/privacy")
    section = page(notice).find(id="readers")
    assert section is not None and section.get_text() == "Readers' comments"
    assert page(notice).find("a", href=ACCOUNT) is not None
