"""Moderating readers' comments: the queue of reported, hidden and removed comments, a
comment's page and its actions (remove with a reason, show again, dismiss the reports),
and a reader's page (block, keeping or deleting their comments, and unblock).

Comments, reports and readers are made straight in the database, as the thread's forms
would make them; the moderator acts through the admin pages, as an admin or an officer.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, Comment, CommentReport, NewsPost, Reader
from app.models.news import HELD, REMOVED, VISIBLE
from tests.support.clients import START, new_browser
from tests.support.factories import ADMIN_EMAIL, OFFICER_EMAIL, csrf_token
from tests.support.pages import field_error, page, redirect_path, summary_links, text_of
from tests.support.readers import make_reader, sign_in
from tests.test_readers import (
    RIGHT_TO_LEFT_NAME,
    delete_account,
    name_isolations,
    statements_counted,
)

HOSTILE_NAME = '<script>alert("name")</script>'
HOSTILE_BODY = "\"><img src=x onerror=alert(1)> =cmd|' /C calc'!A0 <b>bold</b>"
HOSTILE_NOTE = "<script>alert('note')</script> =HYPERLINK(\"http://x\")"


# --- arranging ----------------------------------------------------------------------------------


def make_post(title: str = "Spring plans", consultation=None, slug: str | None = None) -> NewsPost:
    post = NewsPost(
        slug=slug or f"post-{secrets.token_hex(4)}",
        title=title,
        body="Some news.",
        author_name="The team",
        consultation=consultation,
        published_at=START - timedelta(days=2),
        live=True,
    )
    db.session.add(post)
    db.session.commit()
    return post


def make_comment(post: NewsPost, reader: Reader | None, body: str = "I disagree.", **fields):
    comment = Comment(
        post=post, reader=reader, body=body, created_at=START - timedelta(days=1), **fields
    )
    db.session.add(comment)
    db.session.commit()
    return comment


def report(comment: Comment, reason: str = "offensive", at=START, note: str = "", dismissed=None):
    db.session.add(
        CommentReport(
            comment_id=comment.id,
            reason=reason,
            note=note,
            reporter=secrets.token_hex(16),
            created_at=at,
            dismissed_at=dismissed,
        )
    )
    db.session.commit()


def stored(comment_id: int) -> Comment | None:
    db.session.rollback()
    return db.session.scalar(select(Comment).where(Comment.id == comment_id))


def open_reports(comment_id: int) -> int:
    db.session.rollback()
    return db.session.scalar(
        select(func.count())
        .select_from(CommentReport)
        .where(CommentReport.comment_id == comment_id, CommentReport.dismissed_at.is_(None))
    )


def audit_events() -> list[tuple[str, str, str]]:
    db.session.rollback()
    return [
        (event.actor, event.action, event.detail)
        for event in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))
    ]


def post_form(client, path: str, data: dict | None = None, token_from: str = "/admin/comments"):
    return client.post(path, data={"csrf_token": csrf_token(client, token_from), **(data or {})})


def queue_titles(response) -> list[str]:
    return [text_of(h2) for h2 in page(response).select(".admin-item-title")]


def flash_text(response) -> str:
    return text_of(page(response).find(id="flashes"))


def many_readers_comments(count: int) -> list[Comment]:
    """`count` comments, each by its own reader on its own post."""
    comments = [
        Comment(
            post=NewsPost(
                slug=f"post-{n}",
                title=f"Post {n}",
                body="Some news.",
                author_name="The team",
                published_at=START - timedelta(days=2),
                live=True,
            ),
            reader=Reader(email=f"reader{n}@example.org", email_hash=f"{n:064x}", name=f"R{n}"),
            body=f"Comment {n}",
            created_at=START - timedelta(days=1),
        )
        for n in range(count)
    ]
    db.session.add_all(comments)
    db.session.commit()
    return comments


@pytest.fixture
def reader(app):
    return make_reader("sam@example.org", "Sam Reader")


@pytest.fixture
def post(app, make_consultation):
    return make_post("Spring plans", consultation=make_consultation())


# --- who may moderate ---------------------------------------------------------------------------

PATHS = [
    ("get", "/admin/comments"),
    ("get", "/admin/comments/1"),
    ("post", "/admin/comments/1/hide"),
    ("post", "/admin/comments/1/restore"),
    ("post", "/admin/comments/1/dismiss"),
    ("get", "/admin/readers/1"),
    ("post", "/admin/readers/1/block"),
    ("post", "/admin/readers/1/unblock"),
]


@pytest.mark.parametrize(("method", "path"), PATHS)
def test_signed_out_people_are_sent_to_sign_in(client, post, reader, method, path):
    comment = make_comment(post, reader)
    report(comment)
    path = path.replace("/1", f"/{comment.id}" if "comments" in path else f"/{reader.id}")
    if method == "get":
        response = client.get(path)
    else:
        token = csrf_token(client, "/admin/login")
        response = client.post(
            path, data={"csrf_token": token, "reason": "Spam", "comments": "delete"}
        )

    assert response.status_code == 302
    assert redirect_path(response) == "/admin/login"
    assert stored(comment.id).status == VISIBLE and open_reports(comment.id) == 1
    assert not db.session.get(Reader, reader.id).blocked
    assert audit_events() == []


def test_an_officer_moderates_as_an_admin_does(officer, post, reader):
    comment = make_comment(post, reader)
    report(comment, "spam")

    queue = officer.get("/admin/comments")
    hidden = post_form(officer, f"/admin/comments/{comment.id}/hide", {"reason": "Advertising"})
    blocked = post_form(
        officer, f"/admin/readers/{reader.id}/block", {"comments": "keep"}, "/admin/comments"
    )

    assert queue.status_code == 200 and queue_titles(queue) == [
        f"Comment {comment.id} by Sam Reader on Spring plans"
    ]
    assert hidden.status_code == 303 and blocked.status_code == 303
    assert stored(comment.id).status == REMOVED
    assert [(actor, action) for actor, action, _ in audit_events()] == [
        (OFFICER_EMAIL, "comment_hide"),
        (OFFICER_EMAIL, "reader_block"),
    ]


# --- the queue ----------------------------------------------------------------------------------


def test_the_queue_lists_reported_hidden_and_removed_comments_newest_report_first(
    admin, post, reader
):
    other = make_post("Autumn plans")
    older = make_comment(post, reader, "An older complaint")
    report(older, "spam", START - timedelta(hours=3))
    few = make_comment(post, reader, "Reported once, an hour ago")
    report(few, "other", START - timedelta(hours=1))
    many = make_comment(other, None, "Reported three times\nover two lines", status=HELD)
    for when, reason in [(2, "offensive"), (2, "offensive"), (1, "personal_information")]:
        report(many, reason, START - timedelta(hours=when))
    newest = make_comment(post, reader, "x" * 300)
    report(newest, "off_topic", START - timedelta(minutes=30))
    report(newest, "spam", START - timedelta(minutes=40))
    removed = make_comment(post, reader, "Removed earlier", status=REMOVED)
    report(removed, "offensive", START - timedelta(days=1), dismissed=START - timedelta(hours=20))
    dealt_with = make_comment(post, reader, "Its report was dismissed")
    report(dealt_with, "spam", START - timedelta(minutes=5), dismissed=START)
    make_comment(post, reader, "Never reported")

    response = admin.get("/admin/comments")

    assert response.status_code == 200
    assert queue_titles(response) == [
        f"Comment {newest.id} by Sam Reader on Spring plans",
        f"Comment {many.id} by a former reader on Autumn plans",
        f"Comment {few.id} by Sam Reader on Spring plans",
        f"Comment {older.id} by Sam Reader on Spring plans",
        f"Comment {removed.id} by Sam Reader on Spring plans",
    ]
    rows = [
        {text_of(div.dt): text_of(div.dd) for div in item.select(".summary-list > div")}
        for item in page(response).select(".admin-item")
    ]
    assert rows[0]["By"] == "Sam Reader"
    assert rows[0]["Comment"] == "x" * 99 + "…"
    assert rows[0]["State"] == "Shown"
    assert rows[0]["Reports"] == "2: Off topic, Spam"
    assert rows[1]["Comment"] == "Reported three times over two lines"
    assert rows[1]["State"] == "Hidden by reports"
    assert rows[1]["Reports"] == "3: Offensive (2), Personal information"
    assert rows[1]["By"] == "a former reader"
    assert rows[4]["State"] == "Removed by a moderator"
    assert rows[4]["Reports"] == "None to look at"
    first_link = page(response).select_one(".admin-item-title a")["href"]
    assert first_link == f"/admin/comments/{newest.id}"


def test_the_queue_shows_fifty_comments_a_page(admin, post, reader):
    for number in range(51):
        comment = make_comment(post, reader, f"Comment number {number}")
        report(comment, "spam", START - timedelta(minutes=number))

    first = admin.get("/admin/comments")
    second = admin.get("/admin/comments?page=2")
    junk = admin.get("/admin/comments?page=banana")
    beyond = admin.get("/admin/comments?page=99")

    assert len(queue_titles(first)) == 50
    assert "Page 1 of 2" in text_of(page(first))
    assert [
        text_of(row.dd) for row in page(second).select(".summary-list > div:nth-of-type(2)")
    ] == ["Comment number 50"]
    assert queue_titles(junk) == queue_titles(first)
    assert queue_titles(beyond) == queue_titles(second)


def test_the_queue_reads_its_readers_and_posts_in_a_few_statements(admin):
    for comment in many_readers_comments(50):
        report(comment)
    admin.get("/admin/comments")  # anything loaded once per session is loaded

    with statements_counted() as sent:
        response = admin.get("/admin/comments")

    assert len(page(response).select(".admin-item")) == 50
    assert "R49" in text_of(page(response)) and "Post 49" in text_of(page(response))
    assert len(sent) < 12, sent


def test_an_empty_queue_says_so(admin):
    response = admin.get("/admin/comments")

    assert response.status_code == 200
    assert "No comments have been reported, hidden or removed." in text_of(page(response))


# --- a comment's page and its actions -----------------------------------------------------------


def test_the_comment_page_shows_the_comment_its_reports_and_its_reader(admin, post, reader):
    comment = make_comment(post, reader, "First line\nSecond line")
    report(comment, "spam", START - timedelta(hours=1), note="Selling something")
    report(comment, "other", START - timedelta(hours=5), dismissed=START - timedelta(hours=4))

    response = admin.get(f"/admin/comments/{comment.id}")

    soup = page(response)
    assert response.status_code == 200
    assert text_of(soup.h1) == f"Comment {comment.id}"
    details = {text_of(div.dt): div.dd for div in soup.select("main .summary-list > div")}
    assert details["Comment"].get_text("\n") == "First line\nSecond line"
    assert details["Comment"].find("br") is not None  # shown as the thread shows it
    assert details["By"].a["href"] == f"/admin/readers/{reader.id}"
    assert details["News post"].a["href"] == f"/news/{post.slug}#comment-{comment.id}"
    assert "1 of 2 reports still counts." in text_of(soup)
    assert "Selling something" in text_of(soup)
    assert [text_of(button) for button in soup.select("main form button")] == [
        "Remove the comment",
        "Dismiss the reports",
    ]


def test_removing_a_comment_needs_a_reason(admin, post, reader):
    comment = make_comment(post, reader)
    report(comment)
    path = f"/admin/comments/{comment.id}/hide"

    missing = post_form(admin, path, {"reason": "   "})
    too_long = post_form(admin, path, {"reason": "r" * 201})

    assert missing.status_code == 422
    assert summary_links(missing) == {"Enter the reason for removing the comment": "reason"}
    assert too_long.status_code == 422
    assert field_error(too_long, "reason") == "Enter 200 characters or fewer"
    assert page(too_long).find(id="reason")["value"] == "r" * 201
    assert page(too_long).title.get_text().startswith("Error: ")
    assert stored(comment.id).status == VISIBLE and open_reports(comment.id) == 1
    assert audit_events() == []


def test_removing_a_comment_records_before_and_after(admin, post, reader):
    comment = make_comment(post, reader)
    report(comment)
    report(comment, "spam")

    response = post_form(admin, f"/admin/comments/{comment.id}/hide", {"reason": "Abusive"})

    assert response.status_code == 303
    assert redirect_path(response) == f"/admin/comments/{comment.id}"
    after = stored(comment.id)
    assert (after.status, after.removed_reason, after.moderated_by) == (
        REMOVED,
        "Abusive",
        ADMIN_EMAIL,
    )
    assert after.moderated_at == START
    assert open_reports(comment.id) == 0
    assert audit_events() == [
        (
            ADMIN_EMAIL,
            "comment_hide",
            f"comment {comment.id} on 'Spring plans': visible -> removed (reason: Abusive);"
            " 2 reports dismissed",
        )
    ]
    assert db.session.scalar(select(AuditEvent.consultation_id)) == post.consultation_id
    shown = admin.get(response.headers["Location"])
    assert "The comment is removed from its thread." in flash_text(shown)
    assert "Removed by a moderator" in text_of(page(shown))


def test_removing_a_removed_comment_only_changes_the_reason(admin, post, reader):
    comment = make_comment(post, reader, status=REMOVED, removed_reason="Spam")

    response = post_form(admin, f"/admin/comments/{comment.id}/hide", {"reason": "Advertising"})

    assert response.status_code == 303
    assert (stored(comment.id).status, stored(comment.id).removed_reason) == (
        REMOVED,
        "Advertising",
    )
    assert audit_events() == [
        (
            ADMIN_EMAIL,
            "comment_hide",
            f"comment {comment.id} on 'Spring plans': reason changed from 'Spam' to 'Advertising'",
        )
    ]


@pytest.mark.parametrize("status", [HELD, REMOVED])
def test_showing_a_comment_again_dismisses_its_reports(admin, post, reader, status):
    comment = make_comment(post, reader, status=status, removed_reason="Spam")
    for _ in range(3):
        report(comment)

    response = post_form(admin, f"/admin/comments/{comment.id}/restore")

    assert response.status_code == 303
    after = stored(comment.id)
    assert (after.status, after.removed_reason) == (VISIBLE, "")
    assert open_reports(comment.id) == 0
    assert audit_events() == [
        (
            ADMIN_EMAIL,
            "comment_restore",
            f"comment {comment.id} on 'Spring plans': {status} -> visible; 3 reports dismissed",
        )
    ]
    assert "The comment is shown again" in flash_text(admin.get(response.headers["Location"]))


def test_showing_a_shown_comment_again_changes_nothing(admin, post, reader):
    comment = make_comment(post, reader)

    response = post_form(admin, f"/admin/comments/{comment.id}/restore")

    assert response.status_code == 303
    assert "already shown" in flash_text(admin.get(response.headers["Location"]))
    assert audit_events() == []


def test_dismissing_the_reports_shows_a_comment_they_hid(admin, post, reader):
    comment = make_comment(post, reader, status=HELD)
    for _ in range(3):
        report(comment)

    response = post_form(admin, f"/admin/comments/{comment.id}/dismiss")

    assert response.status_code == 303
    assert stored(comment.id).status == VISIBLE and open_reports(comment.id) == 0
    assert audit_events() == [
        (
            ADMIN_EMAIL,
            "comment_dismiss_reports",
            f"comment {comment.id} on 'Spring plans': held -> visible; 3 reports dismissed",
        )
    ]
    listed = admin.get("/admin/comments")
    assert queue_titles(listed) == []


def test_dismissing_the_reports_of_a_removed_comment_leaves_it_removed(admin, post, reader):
    comment = make_comment(post, reader, status=REMOVED, removed_reason="Spam")
    report(comment)

    post_form(admin, f"/admin/comments/{comment.id}/dismiss")
    again = post_form(admin, f"/admin/comments/{comment.id}/dismiss")

    assert stored(comment.id).status == REMOVED and open_reports(comment.id) == 0
    assert [action for _, action, detail in audit_events()] == ["comment_dismiss_reports"]
    assert "removed -> removed; 1 report dismissed" in audit_events()[0][2]
    assert "no reports to dismiss" in flash_text(admin.get(again.headers["Location"]))


@pytest.mark.parametrize(
    ("method", "action"),
    [("get", ""), ("post", "/hide"), ("post", "/restore"), ("post", "/dismiss")],
)
def test_a_comment_deleted_meanwhile_gets_a_clear_page(admin, post, reader, method, action):
    comment = make_comment(post, reader)
    report(comment)
    token = csrf_token(admin, f"/admin/comments/{comment.id}")
    db.session.delete(stored(comment.id))
    db.session.commit()

    path = f"/admin/comments/{comment.id}{action}"
    if method == "get":
        response = admin.get(path)
    else:
        response = admin.post(path, data={"csrf_token": token, "reason": "Spam"})

    assert response.status_code == 404
    assert text_of(page(response).h1) == "This comment no longer exists"
    assert page(response).find("a", href="/admin/comments") is not None
    assert audit_events() == []


# --- readers ------------------------------------------------------------------------------------


def test_the_reader_page_shows_who_they_are_and_their_comments(admin, post, reader):
    make_comment(post, reader, "One")
    make_comment(post, reader, "Two", status=REMOVED)
    make_comment(post, make_reader("other@example.org", "Other"), "Not theirs")

    response = admin.get(f"/admin/readers/{reader.id}")

    soup = page(response)
    assert response.status_code == 200
    assert text_of(soup.h1) == "Sam Reader"
    details = {
        text_of(div.dt): text_of(div.dd) for div in soup.select("main > .summary-list > div")
    }
    assert details["Email address"] == "sam@example.org"
    assert details["Comments"] == "2"
    assert details["Blocked from commenting"] == "No"
    assert len(soup.select(".admin-item")) == 2


def test_the_reader_page_reads_the_posts_of_their_comments_in_one_statement(admin, reader):
    for n in range(50):
        make_comment(make_post(f"Post {n}"), reader, f"Comment {n}")
    admin.get(f"/admin/readers/{reader.id}")

    with statements_counted() as sent:
        response = admin.get(f"/admin/readers/{reader.id}")

    assert len(page(response).select(".admin-item")) == 50
    assert len(sent) < 12, sent


def test_blocking_needs_a_choice_about_their_comments(admin, post, reader):
    make_comment(post, reader)

    response = post_form(admin, f"/admin/readers/{reader.id}/block", {"reason": "Trolling"})

    assert response.status_code == 422
    assert summary_links(response) == {"Select what should happen to their comments": "comments-1"}
    assert page(response).find(id="reason")["value"] == "Trolling"
    db.session.rollback()
    assert not db.session.get(Reader, reader.id).blocked
    assert audit_events() == []


def test_blocking_a_reader_keeping_their_comments(admin, post, reader):
    comment = make_comment(post, reader)

    response = post_form(
        admin, f"/admin/readers/{reader.id}/block", {"reason": "Trolling", "comments": "keep"}
    )

    assert response.status_code == 303
    assert redirect_path(response) == f"/admin/readers/{reader.id}"
    db.session.rollback()
    blocked = db.session.get(Reader, reader.id)
    assert (blocked.blocked_at, blocked.blocked_by, blocked.blocked_reason) == (
        START,
        ADMIN_EMAIL,
        "Trolling",
    )
    assert stored(comment.id) is not None
    assert audit_events() == [
        (
            ADMIN_EMAIL,
            "reader_block",
            f"reader {reader.id} 'Sam Reader': not blocked -> blocked (reason: Trolling);"
            " comments kept",
        )
    ]
    shown = admin.get(response.headers["Location"])
    assert "Their comments are kept." in flash_text(shown)
    assert "Yes, by admin@example.org" in text_of(page(shown))


def test_blocking_a_reader_deleting_their_comments(admin, post, reader):
    theirs = [make_comment(post, reader, "One"), make_comment(post, reader, "Two")]
    report(theirs[0])
    their_ids = [comment.id for comment in theirs]
    someone_elses = make_comment(post, make_reader("other@example.org", "Other"))

    response = post_form(admin, f"/admin/readers/{reader.id}/block", {"comments": "delete"})

    assert response.status_code == 303
    assert [stored(comment_id) for comment_id in their_ids] == [None, None]
    assert stored(someone_elses.id) is not None
    assert db.session.scalar(select(func.count()).select_from(CommentReport)) == 0
    assert audit_events()[0][2] == (
        f"reader {reader.id} 'Sam Reader': not blocked -> blocked (reason: none given);"
        " 2 comments deleted"
    )


def test_unblocking_a_reader(admin, reader):
    post_form(admin, f"/admin/readers/{reader.id}/block", {"reason": "Spam", "comments": "keep"})

    response = post_form(admin, f"/admin/readers/{reader.id}/unblock")
    again = post_form(admin, f"/admin/readers/{reader.id}/unblock")

    assert response.status_code == 303
    db.session.rollback()
    unblocked = db.session.get(Reader, reader.id)
    assert (unblocked.blocked_at, unblocked.blocked_by, unblocked.blocked_reason) == (None, "", "")
    assert [action for _, action, _ in audit_events()] == ["reader_block", "reader_unblock"]
    assert audit_events()[1][2] == (
        f"reader {reader.id} 'Sam Reader': blocked (reason: Spam) -> not blocked"
    )
    assert "The reader is not blocked." in flash_text(admin.get(again.headers["Location"]))


def test_a_reader_who_deleted_their_account_while_blocked_is_kept_without_their_address(
    admin, app, reader
):
    post_form(admin, f"/admin/readers/{reader.id}/block", {"reason": "Spam", "comments": "keep"})
    browser = new_browser(app)
    sign_in(browser, reader)
    delete_account(browser, "keep")

    soup = page(admin.get(f"/admin/readers/{reader.id}"))

    details = {
        text_of(div.dt): text_of(div.dd) for div in soup.select("main > .summary-list > div")
    }
    assert text_of(soup.h1) == f"Reader {reader.id}"
    assert details["Email address"] == "None kept: they deleted their account while blocked"
    assert details["Name"] == "No name chosen yet"
    assert "sam@example.org" not in text_of(soup)


def test_unblocking_a_reader_who_deleted_their_account_forgets_them(admin, app, reader):
    reader_id = reader.id
    post_form(admin, f"/admin/readers/{reader_id}/block", {"reason": "Spam", "comments": "keep"})
    browser = new_browser(app)
    sign_in(browser, reader)
    delete_account(browser, "delete")
    shown = admin.get(f"/admin/readers/{reader_id}")
    assert "Unblocking deletes it too." in text_of(page(shown))

    response = post_form(admin, f"/admin/readers/{reader_id}/unblock")

    assert redirect_path(response) == "/admin/comments"
    assert "nothing of it is kept" in flash_text(admin.get("/admin/comments"))
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Reader)) == 0
    assert audit_events()[-1][1:] == (
        "reader_unblock",
        f"reader {reader_id} 'no name chosen': blocked (reason: Spam) -> not blocked;"
        " they had deleted their account, so the rest of it is deleted",
    )


@pytest.mark.parametrize("action", ["", "/block", "/unblock"])
def test_a_reader_gone_meanwhile_gets_a_clear_page(admin, reader, action):
    token = csrf_token(admin, f"/admin/readers/{reader.id}")
    db.session.delete(db.session.get(Reader, reader.id))
    db.session.commit()

    path = f"/admin/readers/{reader.id}{action}"
    if action:
        response = admin.post(path, data={"csrf_token": token, "comments": "keep"})
    else:
        response = admin.get(path)

    assert response.status_code == 404
    assert text_of(page(response).h1) == "This reader no longer exists"
    assert audit_events() == []


def test_a_right_to_left_name_is_kept_apart_on_every_moderation_page(admin, post):
    reader = make_reader("maryam@example.org", RIGHT_TO_LEFT_NAME)
    comment = make_comment(post, reader)
    report(comment)

    shown = {
        "/admin/comments": 2,
        f"/admin/comments/{comment.id}": 1,
        f"/admin/readers/{reader.id}": 2,
    }

    for path, times in shown.items():
        main = page(admin.get(path)).find("main")
        assert name_isolations(main, RIGHT_TO_LEFT_NAME) == [True] * times, path


# --- hostile text ---------------------------------------------------------------------------


def test_what_readers_typed_is_shown_as_text_everywhere(admin, app):
    post = make_post('<i>Title</i> "quoted"')
    hostile = make_reader("evil@example.org", HOSTILE_NAME)
    comment = make_comment(post, hostile, HOSTILE_BODY)
    report(comment, "other", note=HOSTILE_NOTE)
    report(comment, "<b>made_up</b>")

    pages = [
        admin.get("/admin/comments"),
        admin.get(f"/admin/comments/{comment.id}"),
        admin.get(f"/admin/readers/{hostile.id}"),
    ]

    for response in pages:
        assert response.status_code == 200
        soup = page(response)
        main = soup.find("main")
        assert main.find(["img", "b", "i"]) is None
        assert main.find("script") is None
        assert all(not any(name.startswith("on") for name in tag.attrs) for tag in main.find_all())
        assert HOSTILE_NAME in text_of(main)
    queue, comment_page, _ = (text_of(page(response).find("main")) for response in pages)
    assert '<i>Title</i> "quoted"' in queue
    assert "<b>made up</b>" in queue
    assert " ".join(HOSTILE_BODY.split()) in comment_page
    assert " ".join(HOSTILE_NOTE.split()) in comment_page
