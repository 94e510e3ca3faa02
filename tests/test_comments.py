"""Readers' comments over HTTP: the thread, posting, fixing, deleting and reporting, and
every refusal (signed out, blocked, closed, too long, too fast, bots, rate limits).

A post is made straight in the database, live and published; comments are posted
through the real form, read back from the page, with the clock moved past the bot
guard's minimum time as a person would take.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, func, select

from app.comments import rules
from app.extensions import db
from app.models import LARGEST_ID, Comment, CommentReport, NewsPost, ReaderSession
from app.models.news import HELD, REMOVED, VISIBLE
from tests.support.clients import UncheckedClient, new_browser
from tests.support.concurrency import at_once
from tests.support.pages import (
    field_error,
    h1_text,
    page,
    sent_by,
    text_of,
    value_of,
    where,
    with_changes,
)
from tests.support.readers import make_reader, sign_in

SLUG = "our-plans"
THREAD = f"/news/{SLUG}/comments"
POST_PAGE = f"/news/{SLUG}"
HTMX = {"HX-Request": "true"}


@pytest.fixture
def post(app: Flask, clock) -> NewsPost:
    news = NewsPost(
        slug=SLUG,
        title="Our plans for the year",
        summary="What we will consult on.",
        body="We will ask about **three** things.",
        author_name="Policy team",
        live=True,
        published_at=clock.now - timedelta(days=1),
    )
    db.session.add(news)
    db.session.commit()
    return news


@pytest.fixture
def ada(app: Flask, post: NewsPost) -> FlaskClient:
    """A browser where Ada Reader is signed in."""
    browser = new_browser(app)
    sign_in(browser, make_reader("ada@example.org", "Ada Reader"))
    return browser


def form_on(response, css_class: str = "comment-form"):
    form = page(response).find("form", class_=css_class)
    assert form is not None, "no such form on the page"
    return form


def comment_form(browser: FlaskClient, **changes) -> tuple[str, dict]:
    """The new comment form as served on the thread: its action and what it sends."""
    form = form_on(browser.get(THREAD))
    return form["action"], with_changes(sent_by(form), changes)


def post_comment(browser: FlaskClient, clock, text: str, headers: dict | None = None, **env):
    """Type `text` into the thread's form, take a few seconds, and post it."""
    action, data = comment_form(browser, body=text)
    clock.advance(seconds=10)
    extra = {"environ_base": env} if env else {}
    return browser.post(action, data=data, headers=headers or {}, **extra)


def comments() -> list[Comment]:
    return list(db.session.scalars(select(Comment).order_by(Comment.id)))


def heading(response) -> str:
    return " ".join(page(response).find(id="comments-heading").get_text().split())


def shown_comment(response, comment_id: int):
    item = page(response).find(id=f"comment-{comment_id}")
    assert item is not None, f"comment {comment_id} is not in the thread"
    return item


def report_comment(browser: FlaskClient, clock, comment_id: int, reason: str = "offensive"):
    url = f"{THREAD}/{comment_id}/report"
    form = page(browser.get(url)).find("form", action=url)
    data = with_changes(sent_by(form), {"reason": reason, "note": "Rude about a colleague."})
    clock.advance(seconds=10)
    return browser.post(url, data=data)


# --- reading and posting ---------------------------------------------------------------------


def test_a_signed_out_visitor_reads_the_thread_and_is_offered_sign_in(client, post):
    response = client.get(THREAD)
    assert response.status_code == 200
    assert heading(response) == "Readers' comments (0)"
    link = page(response).find("a", string="Sign in to comment")
    assert link["href"] == "/readers/sign-in?next=/news/our-plans"
    assert page(response).find("form", class_="comment-form") is None


def test_the_post_page_includes_the_thread(client, ada, post, clock):
    post_comment(ada, clock, "Seen on the post page.")
    response = client.get(POST_PAGE)
    assert response.status_code == 200
    assert heading(response) == "Readers' comments (1)"
    assert "Seen on the post page." in text_of(page(response).find(id="comments"))


def test_a_reader_posts_a_comment_shown_escaped_with_its_link_and_line_breaks(
    ada, client, post, clock
):
    typed = "I disagree <b>strongly</b> & say so.\nSee www.example.org/plan?a=1&b=2\n\nThanks"
    response = post_comment(ada, clock, typed)
    assert response.status_code == 303
    [comment] = comments()
    assert where(response) == f"{POST_PAGE}#comment-{comment.id}"
    assert comment.body == typed and comment.status == VISIBLE

    thread = ada.get(THREAD)
    assert heading(thread) == "Readers' comments (1)"
    item = shown_comment(thread, comment.id)
    assert text_of(item.find(class_="comment-author")) == "Ada Reader"
    assert "1 February 2027" in text_of(item.find("time"))
    text = item.find(class_="comment-text")
    assert text.find("b") is None
    assert "<b>strongly</b>" in text.get_text()
    [link] = text.find_all("a")
    assert link["href"] == "http://www.example.org/plan?a=1&b=2"
    assert link["rel"] == ["nofollow", "ugc", "noopener"]
    assert len(text.find_all("p")) == 2 and len(text.find_all("br")) == 1
    # Its author is offered changing and deleting it, not reporting it; others may report it.
    assert "Unsuitable or offensive?" not in text_of(item)
    for_others = page(client.get(THREAD)).find(id=f"comment-{comment.id}")
    assert "Unsuitable or offensive?" in text_of(for_others)
    assert for_others.find("a", string="Report this comment") is not None


def test_the_comment_form_says_html_is_not_permitted_and_links_to_house_rules(ada, client, post):
    form = form_on(ada.get(THREAD))
    assert "Links may be included in your comments but HTML is not permitted" in text_of(form)
    rules_link = form.find("a", string="house rules")
    response = client.get(rules_link["href"])
    assert response.status_code == 200
    assert h1_text(response) == "House rules for comments"


def test_a_post_that_is_not_live_has_no_thread(app, client, ada, post, clock):
    post.live = False
    db.session.commit()
    assert client.get(THREAD).status_code == 404
    assert ada.post(THREAD, data={"body": "x"}).status_code in (400, 404)
    assert comments() == []


def test_a_comment_from_a_deleted_account_is_from_a_former_reader(app, client, ada, post, clock):
    post_comment(ada, clock, "Still here.")
    [comment] = comments()
    comment.reader_id = None
    db.session.commit()
    item = shown_comment(client.get(THREAD), comment.id)
    assert text_of(item.find(class_="comment-author")) == "A former reader"


def test_a_comment_s_time_is_a_valid_html_date_in_utc(ada, post, clock):
    """HTML allows at most three digits of a second's fraction in <time datetime>: the
    time is given to the second, in UTC, as a post's date is."""
    clock.advance(microseconds=379242)
    post_comment(ada, clock, "On time")
    [comment] = comments()
    time = shown_comment(ada.get(THREAD), comment.id).find("time")
    assert time["datetime"] == "2027-02-01T12:00:10Z"


def test_a_right_to_left_name_is_kept_apart_from_the_date_beside_it(app, post, clock):
    """A name in Arabic is isolated (<bdi>), so the time after it still reads "12pm UK
    time", not with the name between its parts; so is the name above the form."""
    name = "\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645"
    browser = new_browser(app)
    sign_in(browser, make_reader("rtl@example.org", name))
    post_comment(browser, clock, "Hello")
    [comment] = comments()
    thread = browser.get(THREAD)
    meta = shown_comment(thread, comment.id).find(class_="comment-meta")
    assert [text_of(bdi) for bdi in meta.find_all("bdi")] == [name]
    assert meta.find("time").find_parent("bdi") is None
    assert [text_of(bdi) for bdi in form_on(thread).find_all("bdi")] == [name]


def test_the_same_form_sent_twice_stores_one_comment(ada, post, clock):
    """A double click, or a send again after a slow answer: one comment, and the second
    send is answered as the first was."""
    action, data = comment_form(ada, body="Said once")
    clock.advance(seconds=10)
    first = ada.post(action, data=data)
    second = ada.post(action, data=data)
    [comment] = comments()
    assert first.status_code == second.status_code == 303
    assert where(first) == where(second) == f"{POST_PAGE}#comment-{comment.id}"
    again = ada.post(action, data=data, headers=HTMX)
    assert again.status_code == 200
    assert heading(again) == "Readers' comments (1)"
    assert "Your comment has been posted." in text_of(page(again).find(role="status"))
    assert len(comments()) == 1


def test_the_same_words_in_a_new_form_are_a_new_comment(ada, post, clock):
    """Only the same form sent again is left out: a reader may say the same thing twice."""
    post_comment(ada, clock, "+1")
    post_comment(ada, clock, "+1")
    assert [c.body for c in comments()] == ["+1", "+1"]


def test_the_same_form_sent_twice_at_once_stores_one_comment(app, post, clock):
    reader = make_reader("twice@example.org", "Twice")
    first = new_browser(app, UncheckedClient)
    sign_in(first, reader)
    form = form_on(first.get(THREAD))
    data = with_changes(sent_by(form), {"body": "Sent from two tabs at once"})
    second = new_browser(app, UncheckedClient)
    for name in ("session", "reader"):
        second.set_cookie(name, first.get_cookie(name).value)
    clock.advance(seconds=10)
    answers = at_once(
        [lambda: first.post(THREAD, data=data), lambda: second.post(THREAD, data=data)],
        context=app.app_context,
    )
    [comment] = comments()
    assert [answer.status_code for answer in answers] == [303, 303]
    assert {where(answer) for answer in answers} == {f"{POST_PAGE}#comment-{comment.id}"}


def test_a_form_s_token_sent_to_another_post_is_a_new_comment(app, ada, post, clock):
    """A token is one form's: sent with another post's form it stores that comment too."""
    other = NewsPost(slug="other", title="Other", live=True, published_at=post.published_at)
    db.session.add(other)
    db.session.commit()
    action, data = comment_form(ada, body="On both")
    clock.advance(seconds=10)
    assert ada.post(action, data=data).status_code == 303
    assert ada.post("/news/other/comments", data=data).status_code == 303
    first, second = comments()
    assert (first.post_id, second.post_id) == (post.id, other.id)
    assert first.token and second.token and first.token != second.token


# --- refusals --------------------------------------------------------------------------------


def test_a_signed_out_post_is_refused_with_the_text_kept(app, ada, post, clock):
    """Signed out while typing (the session ended elsewhere): refused, the text kept."""
    _, data = comment_form(ada, body="My <i>thoughts</i>")
    db.session.execute(delete(ReaderSession))
    db.session.commit()
    clock.advance(seconds=10)
    response = ada.post(THREAD, data=data)
    assert response.status_code == 403
    assert h1_text(response) == "Sign in to comment"
    link = page(response).find("a", string="Sign in to comment")
    assert link["href"] == "/readers/sign-in?next=/news/our-plans"
    assert "My <i>thoughts</i>" in text_of(page(response).find(class_="kept-comment"))
    assert comments() == []


def test_a_blocked_reader_is_refused(app, post, clock):
    browser = new_browser(app)
    reader = make_reader("blocked@example.org", "Bo")
    sign_in(browser, reader)
    _, data = comment_form(browser, body="Let me in")
    reader.blocked_at = clock.now
    db.session.commit()
    thread = browser.get(THREAD)
    assert page(thread).find("form", class_="comment-form") is None
    assert "You cannot comment" in text_of(page(thread).find(id="comments"))
    clock.advance(seconds=10)
    response = browser.post(THREAD, data=data)
    assert response.status_code == 403
    assert h1_text(response) == "You cannot comment"
    assert comments() == []


def test_a_thread_with_comments_switched_off_is_closed_but_readable(ada, client, post, clock):
    post_comment(ada, clock, "Before it closed.")
    _, data = comment_form(ada, body="After it closed.")
    post.comments_on = False
    db.session.commit()
    thread = client.get(THREAD)
    assert "Comments are closed." in text_of(page(thread).find(id="comments"))
    assert "Before it closed." in text_of(page(thread).find(id="comments"))
    assert page(ada.get(THREAD)).find("form", class_="comment-form") is None
    clock.advance(seconds=10)
    response = ada.post(THREAD, data=data)
    assert response.status_code == 403
    assert h1_text(response) == "Comments are closed"
    assert [c.body for c in comments()] == ["Before it closed."]


@pytest.mark.parametrize("close_with_consultation", [True, False])
def test_a_thread_closes_with_its_consultation_when_set_to(
    ada, post, clock, make_consultation, close_with_consultation
):
    consultation = make_consultation(closes_at=clock.now + timedelta(days=1))
    post.consultation_id = consultation.id
    post.close_with_consultation = close_with_consultation
    db.session.commit()
    _, data = comment_form(ada, body="Just in time?")
    clock.advance(days=2)
    response = ada.post(THREAD, data=data)
    if close_with_consultation:
        assert response.status_code == 403
        assert "Comments are closed." in text_of(page(ada.get(THREAD)).find(id="comments"))
        assert comments() == []
    else:
        assert response.status_code == 303
        assert len(comments()) == 1


def test_rules_comments_open():
    from app.consultations.lifecycle import State

    assert rules.comments_open(True, True, None)
    assert rules.comments_open(True, True, State.OPEN)
    assert not rules.comments_open(True, True, State.CLOSED)
    assert rules.comments_open(True, False, State.CLOSED)
    assert not rules.comments_open(False, False, State.OPEN)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter a comment"),
        ("   \n  ", "Enter a comment"),
        ("x" * 2001, "Comment must be 2,000 characters or fewer"),
    ],
)
def test_an_empty_or_too_long_comment_is_refused_with_the_text_kept(
    ada, post, clock, typed, message
):
    response = post_comment(ada, clock, typed)
    assert response.status_code == 422
    assert page(response).title.get_text().startswith("Error: ")
    assert field_error(response, "new-comment-body") == message
    assert value_of(response, "body") == typed.strip()
    assert comments() == []


def test_a_comment_of_2000_characters_is_taken(ada, post, clock):
    assert post_comment(ada, clock, "y" * 2000).status_code == 303
    assert len(comments()[0].body) == 2000


def test_a_comment_sent_too_fast_is_refused_then_taken_after_a_wait(ada, post, clock):
    action, data = comment_form(ada, body="Quick thought")
    clock.advance(seconds=1)
    response = ada.post(action, data=data)
    assert response.status_code == 422
    assert "Wait a few seconds, then try again" in text_of(
        page(response).find(class_="error-summary")
    )
    assert value_of(response, "body") == "Quick thought"
    assert comments() == []
    again = sent_by(form_on(response))
    clock.advance(seconds=5)
    assert ada.post(action, data=again).status_code == 303
    assert [c.body for c in comments()] == ["Quick thought"]


def test_a_filled_honeypot_is_refused(ada, post, clock):
    action, data = comment_form(ada, body="Buy now", website="http://spam.example")
    clock.advance(seconds=10)
    response = ada.post(action, data=data)
    assert response.status_code == 422
    assert comments() == []


def test_a_forged_stamp_is_refused(ada, post, clock):
    action, data = comment_form(ada, body="Hello", loaded="forged")
    clock.advance(seconds=10)
    assert ada.post(action, data=data).status_code == 422
    assert comments() == []


def test_a_reader_is_rate_limited_from_any_address(ada, post, clock):
    for number in range(5):
        response = post_comment(ada, clock, f"Comment {number}", REMOTE_ADDR=f"192.0.2.{number}")
        assert response.status_code == 303
    response = post_comment(ada, clock, "One too many", REMOTE_ADDR="192.0.2.99")
    assert response.status_code == 429
    assert len(comments()) == 5


def test_an_address_is_rate_limited_whoever_is_signed_in(app, post, clock):
    for number in range(5):
        browser = new_browser(app)
        sign_in(browser, make_reader(f"r{number}@example.org", f"Reader {number}"))
        assert post_comment(browser, clock, f"From {number}").status_code == 303
    browser = new_browser(app)
    sign_in(browser, make_reader("late@example.org", "Late"))
    assert post_comment(browser, clock, "Too many from here").status_code == 429
    assert len(comments()) == 5


# --- fixing and deleting ---------------------------------------------------------------------


def test_the_author_fixes_a_comment_within_15_minutes_shown_as_edited(ada, post, clock):
    post_comment(ada, clock, "Teh first version")
    [comment] = comments()
    edit_url = f"{THREAD}/{comment.id}/edit"
    form = page(ada.get(edit_url)).find("form", action=edit_url)
    assert value_of(ada.get(edit_url), "body") == "Teh first version"
    clock.advance(minutes=14)
    response = ada.post(edit_url, data=with_changes(sent_by(form), {"body": "The first version"}))
    assert response.status_code == 303
    assert where(response) == f"{POST_PAGE}#comment-{comment.id}"
    item = shown_comment(ada.get(THREAD), comment.id)
    assert "The first version" in text_of(item.find(class_="comment-text"))
    assert text_of(item.find(class_="comment-edited")) == "(edited)"


def test_a_comment_cannot_be_fixed_after_15_minutes(ada, post, clock):
    post_comment(ada, clock, "Too late to fix")
    [comment] = comments()
    edit_url = f"{THREAD}/{comment.id}/edit"
    form = page(ada.get(edit_url)).find("form", action=edit_url)
    clock.advance(minutes=15)
    assert shown_comment(ada.get(THREAD), comment.id).find("a", href=edit_url) is None
    assert ada.get(edit_url).status_code == 403
    response = ada.post(edit_url, data=with_changes(sent_by(form), {"body": "Fixed"}))
    assert response.status_code == 403
    assert h1_text(response) == "You can no longer change this comment"
    assert "Fixed" in text_of(page(response).find(class_="kept-comment"))
    assert comments()[0].body == "Too late to fix" and comments()[0].edited_at is None


def test_only_the_author_can_fix_or_delete_a_comment(app, ada, client, post, clock):
    post_comment(ada, clock, "Mine")
    [comment] = comments()
    other = new_browser(app)
    sign_in(other, make_reader("bea@example.org", "Bea"))
    item = shown_comment(other.get(THREAD), comment.id)
    assert item.find("a", string="Change") is None and item.find("a", string="Delete") is None
    for browser, status in ((other, 403), (client, 403)):
        assert browser.get(f"{THREAD}/{comment.id}/edit").status_code == status
        assert browser.get(f"{THREAD}/{comment.id}/delete").status_code == status
        assert browser.post(f"{THREAD}/{comment.id}/delete", data={}).status_code in (400, 403)
    assert len(comments()) == 1


def test_the_author_deletes_their_comment_and_its_reports_go_with_it(app, ada, post, clock):
    post_comment(ada, clock, "Regret this")
    [comment] = comments()
    report_comment(new_browser(app), clock, comment.id)
    delete_url = f"{THREAD}/{comment.id}/delete"
    confirm = ada.get(delete_url)
    assert h1_text(confirm) == "Delete your comment"
    form = page(confirm).find("form", action=delete_url)
    response = ada.post(delete_url, data=sent_by(form))
    assert response.status_code == 303
    assert where(response) == f"{POST_PAGE}#comments"
    assert comments() == []
    assert db.session.scalar(select(func.count(CommentReport.id))) == 0
    assert heading(ada.get(THREAD)) == "Readers' comments (0)"


@pytest.mark.parametrize("why", ["blocked", "closed"])
def test_a_blocked_reader_or_a_closed_thread_lets_the_author_delete_but_not_change(
    ada, post, clock, why
):
    post_comment(ada, clock, "Said while I could")
    [comment] = comments()
    if why == "blocked":
        comment.reader.blocked_at = clock.now
    else:
        post.comments_on = False
    db.session.commit()
    edit_url = f"{THREAD}/{comment.id}/edit"
    delete_url = f"{THREAD}/{comment.id}/delete"
    item = shown_comment(ada.get(THREAD), comment.id)
    assert item.find("a", href=edit_url) is None
    assert item.find("a", href=delete_url) is not None
    assert ada.get(edit_url).status_code == 403
    confirm = ada.get(delete_url)
    assert confirm.status_code == 200
    response = ada.post(delete_url, data=sent_by(page(confirm).find("form", action=delete_url)))
    assert response.status_code == 303
    assert comments() == []


# --- reporting -------------------------------------------------------------------------------


def test_anyone_reports_a_comment_once_per_browser(app, ada, client, post, clock):
    post_comment(ada, clock, "Something rude")
    [comment] = comments()
    url = f"{THREAD}/{comment.id}/report"
    form = page(client.get(url)).find("form", action=url)
    data = with_changes(sent_by(form), {"reason": "spam", "note": "Advertising."})
    clock.advance(seconds=10)
    response = client.post(url, data=data)
    assert response.status_code == 303
    assert where(response) == f"{POST_PAGE}#comment-{comment.id}"
    thread = client.get(THREAD)
    assert "Thank you. A moderator will look at this comment." in text_of(page(thread))
    item = shown_comment(thread, comment.id)
    assert "You reported this comment." in text_of(item)
    assert item.find("a", string="Report this comment") is None

    [report] = db.session.scalars(select(CommentReport)).all()
    with client.session_transaction() as session:
        key = session["reporter"]
    assert report.reporter == hashlib.sha256(key.encode()).hexdigest() != key
    assert (report.reason, report.note) == ("spam", "Advertising.")

    assert client.post(url, data=data).status_code == 200  # the page says so; no form
    again = client.get(url)
    assert "You have already reported this comment." in text_of(page(again))
    assert page(again).find("form", action=url) is None
    assert db.session.scalar(select(func.count(CommentReport.id))) == 1


def test_an_address_is_rate_limited_when_reporting(app, post, clock):
    author = make_reader("author@example.org", "Author")
    for number in range(6):
        db.session.add(
            Comment(post=post, reader=author, body=f"Comment {number}", created_at=clock.now)
        )
    db.session.commit()
    posted = comments()
    for comment in posted[:5]:
        assert report_comment(new_browser(app), clock, comment.id).status_code == 303
    assert report_comment(new_browser(app), clock, posted[5].id).status_code == 429
    assert db.session.scalar(select(func.count(CommentReport.id))) == 5


def test_a_double_submitted_report_is_stored_once(app, ada, post, clock):
    post_comment(ada, clock, "Reported twice at once")
    [comment] = comments()
    url = f"{THREAD}/{comment.id}/report"
    first = new_browser(app, UncheckedClient)
    form = page(first.get(url)).find("form", action=url)
    data = with_changes(sent_by(form), {"reason": "offensive"})
    second = new_browser(app, UncheckedClient)
    second.set_cookie("session", first.get_cookie("session").value)
    clock.advance(seconds=10)
    answers = at_once(
        [lambda: first.post(url, data=data), lambda: second.post(url, data=data)],
        context=app.app_context,
    )
    assert sorted(answer.status_code for answer in answers) in ([200, 303], [303, 303])
    assert db.session.scalar(select(func.count(CommentReport.id))) == 1


def test_a_reason_is_required_and_the_note_is_limited(ada, client, post, clock):
    post_comment(ada, clock, "Report me badly")
    [comment] = comments()
    url = f"{THREAD}/{comment.id}/report"
    form = page(client.get(url)).find("form", action=url)
    clock.advance(seconds=10)
    response = client.post(url, data=with_changes(sent_by(form), {"note": "Why not"}))
    assert response.status_code == 422
    assert field_error(response, f"report-{comment.id}-reason") == "Select a reason"
    assert value_of(response, "note") == "Why not"
    response = client.post(
        url, data=with_changes(sent_by(form), {"reason": "other", "note": "n" * 501})
    )
    assert response.status_code == 422
    assert field_error(response, f"report-{comment.id}-note") == (
        "Your note must be 500 characters or fewer"
    )
    response = client.post(url, data=with_changes(sent_by(form), {"reason": "nonsense"}))
    assert response.status_code == 422
    assert db.session.scalar(select(func.count(CommentReport.id))) == 0


def test_three_reports_from_three_browsers_hide_a_comment_at_once(app, ada, client, post, clock):
    post_comment(ada, clock, "Hide me")
    post_comment(ada, clock, "Keep me")
    hidden, kept = comments()
    for _ in range(rules.HIDE_AT):
        assert comments()[0].status == VISIBLE
        assert report_comment(new_browser(app), clock, hidden.id).status_code == 303
    assert comments()[0].status == HELD
    thread = client.get(THREAD)
    assert heading(thread) == "Readers' comments (1)"
    item = shown_comment(thread, hidden.id)
    assert text_of(item) == "This comment is hidden while a moderator looks at it."
    assert "Hide me" not in text_of(page(thread))
    assert client.get(f"{THREAD}/{hidden.id}/report").status_code == 404


def test_dismissed_reports_do_not_count(app, ada, post, clock):
    post_comment(ada, clock, "Reported before")
    [comment] = comments()
    for _ in range(2):
        report_comment(new_browser(app), clock, comment.id)
    for report in db.session.scalars(select(CommentReport)):
        report.dismissed_at = clock.now
    db.session.commit()
    report_comment(new_browser(app), clock, comment.id)
    assert comments()[0].status == VISIBLE


def test_a_removed_comment_shows_its_placeholder_and_is_not_counted(ada, client, post, clock):
    post_comment(ada, clock, "Removed text")
    [comment] = comments()
    comment.status = REMOVED
    db.session.commit()
    thread = client.get(THREAD)
    assert heading(thread) == "Readers' comments (0)"
    item = shown_comment(thread, comment.id)
    assert text_of(item) == "This comment was removed by a moderator."


# --- addresses -------------------------------------------------------------------------------


@pytest.mark.parametrize("comment_id", [str(LARGEST_ID + 1), "99999999999999999999"])
@pytest.mark.parametrize(
    ("method", "action"),
    [("GET", ""), ("GET", "/edit"), ("GET", "/delete"), ("GET", "/report")]
    + [("POST", "/edit"), ("POST", "/delete"), ("POST", "/report")],
)
def test_a_comment_id_no_row_can_have_is_not_found(ada, post, comment_id, method, action):
    """A number larger than an id column holds never reaches the database (which would
    fail on it): the page is not found."""
    url = f"{THREAD}/{comment_id}{action}"
    assert ada.open(url, method=method, data={}).status_code == 404


# --- htmx ------------------------------------------------------------------------------------


def test_htmx_posting_swaps_the_thread(ada, post, clock):
    response = post_comment(ada, clock, "In place", headers=HTMX)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "<html" not in body
    assert heading(response) == "Readers' comments (1)"
    assert "Your comment has been posted." in text_of(page(response).find(role="status"))
    assert value_of(response, "body") == ""


def test_htmx_errors_come_as_the_thread_with_its_error_summary(ada, post, clock):
    response = post_comment(ada, clock, "", headers=HTMX)
    assert response.status_code == 422
    assert "<html" not in response.get_data(as_text=True)
    assert page(response).find(class_="error-summary") is not None


def test_htmx_editing_reporting_and_deleting_happen_in_place(app, ada, post, clock):
    post_comment(ada, clock, "Original")
    [comment] = comments()
    base = f"{THREAD}/{comment.id}"
    editing = ada.get(f"{base}/edit", headers=HTMX)
    assert "<html" not in editing.get_data(as_text=True)
    form = page(editing).find("form", action=f"{base}/edit")
    assert form["hx-target"] == f"#comment-{comment.id}"
    clock.advance(seconds=10)
    changed = ada.post(
        f"{base}/edit", data=with_changes(sent_by(form), {"body": "Changed"}), headers=HTMX
    )
    assert changed.status_code == 200
    assert "Changed" in text_of(page(changed).find(class_="comment-text"))
    assert text_of(page(changed).find(class_="comment-outcome")) == "Your comment has been changed."

    reporter = new_browser(app)
    reporting = reporter.get(f"{base}/report", headers=HTMX)
    form = page(reporting).find("form", action=f"{base}/report")
    clock.advance(seconds=10)
    reported = reporter.post(
        f"{base}/report", data=with_changes(sent_by(form), {"reason": "spam"}), headers=HTMX
    )
    assert reported.status_code == 200
    assert "Thank you. A moderator will look at this comment." in text_of(page(reported))
    count = page(reported).find(id="comments-count")
    assert count["hx-swap-oob"] == "true" and text_of(count) == "1"

    confirming = ada.get(f"{base}/delete", headers=HTMX)
    form = page(confirming).find("form", action=f"{base}/delete")
    assert form["hx-target"] == "#comments"
    deleted = ada.post(f"{base}/delete", data=sent_by(form), headers=HTMX)
    assert deleted.status_code == 200
    assert heading(deleted) == "Readers' comments (0)"
    assert "Your comment has been deleted." in text_of(page(deleted).find(role="status"))


def test_cancelling_in_place_shows_the_comment_again_and_without_htmx_goes_back(ada, post, clock):
    post_comment(ada, clock, "Stay")
    [comment] = comments()
    url = f"{THREAD}/{comment.id}"
    shown = ada.get(url, headers=HTMX)
    assert "Stay" in text_of(page(shown).find(class_="comment-text"))
    plain = ada.get(url)
    assert plain.status_code == 303 and where(plain) == f"{POST_PAGE}#comment-{comment.id}"
