"""The policy officer's daily summary of reports of readers' comments, as the outbox
worker queues and delivers it, read back from a real SMTP server.

Each worker round calls queue_daily_summary and then delivers what is due, as here.
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from flask import current_app

from app.admin.moderation import summary
from app.extensions import db
from app.models import Comment, CommentReport, NewsPost, OutboxEmail
from app.models.news import HELD
from tests.support.clients import utc
from tests.support.readers import make_reader
from tests.test_moderation import many_readers_comments
from tests.test_readers import RIGHT_TO_LEFT_NAME, name_isolations, statements_counted

OFFICER = "policy@example.org"
SITE = "https://consult.example.org"
# 2027-02-01 is in winter: UK time is UTC.
YESTERDAY_8AM, TODAY_8AM = utc(2027, 1, 31, 8, 0), utc(2027, 2, 1, 8, 0)


@pytest.fixture
def site(app, clock):
    """A site whose policy officer reads the summary, at a known address."""
    app.config.update(POLICY_OFFICER_EMAIL=OFFICER, SITE_URL=SITE)
    return app


def make_comment(title: str, body: str, name: str = "Sam Reader", email: str | None = None):
    post = NewsPost(
        slug=f"post-{secrets.token_hex(4)}",
        title=title,
        live=True,
        published_at=YESTERDAY_8AM - timedelta(days=3),
    )
    reader = make_reader(email or f"{secrets.token_hex(4)}@example.org", name)
    comment = Comment(post=post, reader=reader, body=body, created_at=post.published_at)
    db.session.add(comment)
    db.session.commit()
    return comment


def report(comment: Comment, at, reason: str = "offensive", note: str = "") -> None:
    db.session.add(
        CommentReport(
            comment_id=comment.id,
            reason=reason,
            note=note,
            reporter=secrets.token_hex(16),
            created_at=at,
        )
    )
    db.session.commit()


def worker_round(clock, at) -> int:
    """One round of the outbox worker at `at` (`flask outbox send`): how many emails it
    queued (here only summaries: there are no consultations)."""
    clock.set(at)
    result = current_app.test_cli_runner().invoke(args=["outbox", "send"])
    assert result.exit_code == 0, result.output
    queued = re.match(r"Queued (\d+), sent \d+, failed 0\.", result.output)
    assert queued, result.output
    return int(queued[1])


def summaries() -> list[OutboxEmail]:
    db.session.rollback()
    return list(db.session.query(OutboxEmail).filter_by(kind="comment_reports"))


def test_one_summary_a_day_of_the_reports_made_since_8am_the_day_before(site, clock, smtp_server):
    parks = make_comment("Parks and open spaces", "The consultation is a sham.\nTruly.")
    libraries = make_comment("Library hours", "Buy cheap watches at example.net", "Pat")
    report(parks, YESTERDAY_8AM - timedelta(minutes=1), "spam")  # the day before's
    report(parks, YESTERDAY_8AM, "offensive")
    report(parks, TODAY_8AM - timedelta(minutes=1), "offensive")
    report(libraries, utc(2027, 1, 31, 20, 0), "spam")
    report(libraries, TODAY_8AM, "spam")  # tomorrow's

    rounds = [
        worker_round(clock, at)
        for at in [
            TODAY_8AM - timedelta(minutes=1),
            TODAY_8AM,
            TODAY_8AM + timedelta(seconds=5),
            utc(2027, 2, 1, 23, 59),
        ]
    ]

    assert rounds == [0, 1, 0, 0]
    [received] = smtp_server.received
    assert received.rcpt_tos == [OFFICER]
    assert received.message["Subject"] == "3 reports of readers' comments"
    text = received.text
    assert "Readers made 3 reports of 2 comments from 8am UK time on 31 January 2027" in text
    assert "to 8am UK time on 1 February 2027." in text
    parks_at = text.index('On "Parks and open spaces", by Sam Reader')
    libraries_at = text.index('On "Library hours", by Pat')
    assert parks_at < libraries_at  # the most reported first
    assert 'Comment: "The consultation is a sham. Truly."' in text
    assert "2 reports: Offensive (2)" in text
    assert "1 report: Spam" in text
    assert f"Look at it: {SITE}/admin/comments/{parks.id}" in text
    assert f"Look at it: {SITE}/admin/comments/{libraries.id}" in text
    assert text.splitlines()[-1].endswith(f"in the admin area: {SITE}/admin/comments")
    html = BeautifulSoup(received.html, "html.parser")
    links = [a["href"] for a in html.find_all("a")]
    assert links == [
        f"{SITE}/admin/comments/{parks.id}",
        f"{SITE}/admin/comments/{libraries.id}",
        f"{SITE}/admin/comments",
    ]
    assert [email.event_key for email in summaries()] == ["comment-reports:2027-02-01"]

    next_day = worker_round(clock, TODAY_8AM + timedelta(days=1))

    assert next_day == 1
    assert len(smtp_server.received) == 2
    assert smtp_server.received[1].message["Subject"] == "1 report of readers' comments"
    assert 'On "Library hours", by Pat' in smtp_server.received[1].text
    assert "Parks" not in smtp_server.received[1].text


def test_no_summary_on_a_day_without_reports(site, clock, smtp_server):
    comment = make_comment("Parks", "A comment")
    report(comment, YESTERDAY_8AM - timedelta(hours=1))  # the day before's summary
    report(comment, TODAY_8AM + timedelta(hours=1))  # tomorrow's

    rounds = [worker_round(clock, TODAY_8AM + timedelta(hours=h)) for h in (0, 2, 4)]

    assert rounds == [0, 0, 0]
    assert smtp_server.received == [] and summaries() == []


def test_no_summary_without_a_policy_officer_address(app, clock, smtp_server):
    app.config["POLICY_OFFICER_EMAIL"] = ""
    comment = make_comment("Parks", "A comment")
    report(comment, TODAY_8AM - timedelta(hours=1))

    queued = worker_round(clock, TODAY_8AM + timedelta(hours=1))

    assert queued == 0
    assert smtp_server.received == [] and summaries() == []


def test_the_day_the_clocks_go_forward_is_covered_once(site, clock, smtp_server):
    comment = make_comment("Parks", "A comment")
    # 2027-03-28: UK clocks go forward at 1am GMT, so 8am that day is 07:00 UTC.
    report(comment, utc(2027, 3, 28, 7, 30))  # 8:30am BST: the 29th's summary
    report(comment, utc(2027, 3, 27, 8, 0))  # 8am GMT the day before: the 28th's

    rounds = {
        "28th, 7:30am": worker_round(clock, utc(2027, 3, 28, 6, 30)),
        "28th, 8am": worker_round(clock, utc(2027, 3, 28, 7, 0)),
        "29th, 8am": worker_round(clock, utc(2027, 3, 29, 7, 0)),
    }

    assert rounds == {"28th, 7:30am": 0, "28th, 8am": 1, "29th, 8am": 1}
    texts = [received.text for received in smtp_server.received]
    assert "from 8am UK time on 27 March 2027 to 8am UK time on 28 March 2027" in texts[0]
    assert "from 8am UK time on 28 March 2027 to 8am UK time on 29 March 2027" in texts[1]
    assert all("1 report: Offensive" in text for text in texts)


HOSTILE_TITLE = "<script>alert(\"title\")</script> & =cmd|'/C calc'!A0"
HOSTILE_NAME = '"><img src=x onerror=alert(1)>'
HOSTILE_BODY = (
    "<a href=https://evil.example>click</a> <style>*{display:none}</style>"
    '\nLook at it: https://evil.example/admin\n=HYPERLINK("http://x")'
)


def test_what_readers_typed_is_text_in_both_parts(site, clock, smtp_server):
    comment = make_comment(HOSTILE_TITLE, HOSTILE_BODY, HOSTILE_NAME)
    comment.status = HELD
    db.session.commit()
    report(comment, TODAY_8AM - timedelta(hours=1), note="<script>alert('note')</script>")

    assert worker_round(clock, TODAY_8AM) == 1

    [received] = smtp_server.received
    assert received.message["Subject"] == "1 report of readers' comments"
    html = BeautifulSoup(received.html, "html.parser")
    body = html.find("body")
    assert body.find(["script", "img", "style"]) is None
    assert [a["href"] for a in body.find_all("a")] == [
        f"{SITE}/admin/comments/{comment.id}",
        f"{SITE}/admin/comments",
    ]
    assert all(not any(name.startswith("on") for name in tag.attrs) for tag in body.find_all())
    shown = " ".join(body.get_text(" ").split())
    assert HOSTILE_TITLE in shown
    assert HOSTILE_NAME in shown
    assert " ".join(HOSTILE_BODY.split()) in shown
    assert "Now: Hidden by reports" in shown
    text = received.text
    # Typed line breaks are not kept, so typed text cannot pass for the email's own lines.
    assert [line for line in text.splitlines() if line.startswith("Look at it:")] == [
        f"Look at it: {SITE}/admin/comments/{comment.id}"
    ]
    assert f'Comment: "{" ".join(HOSTILE_BODY.split())[:199]}' in text
    assert "alert('note')" not in text and "alert('note')" not in received.html


def test_the_summary_reads_its_comments_posts_and_readers_in_a_few_statements(site, clock):
    for comment in many_readers_comments(30):
        report(comment, YESTERDAY_8AM)
    db.session.expire_all()

    with statements_counted() as sent:
        reported = summary.reported_between(YESTERDAY_8AM, TODAY_8AM)

    assert sorted(item.author for item in reported) == sorted(f"R{n}" for n in range(30))
    assert len(sent) < 6, sent


def test_a_right_to_left_name_is_kept_apart_in_the_email(site, clock, smtp_server):
    comment = make_comment("Spring plans", "I disagree.", RIGHT_TO_LEFT_NAME)
    report(comment, TODAY_8AM - timedelta(hours=1))

    assert worker_round(clock, TODAY_8AM) == 1

    [received] = smtp_server.received
    body = BeautifulSoup(received.html, "html.parser").find("body")
    assert name_isolations(body, RIGHT_TO_LEFT_NAME) == [True, True]
