"""Whatever a reader types (their name, a comment, a report's note) is only ever text in the
moderation queue, on the moderator's page for a comment and in the policy officer's daily
summary email of reports: property tests, with hypothesis, of hostile text of every kind
(tags, event handlers, javascript: addresses, quotes, ampersands, direction controls,
emoji, long lines).

Each example is shown twice: once with plain values and once with the hostile ones. Pages
and emails are parsed as a browser or a mail client parses them (html5lib), and:

- the hostile page or email has exactly the plain one's elements, each with the same
  attributes, so no element or attribute came from what was typed (the comment itself, on
  the moderator's page, is checked against the rules for a comment's text instead: only
  paragraphs, line breaks and web links);
- each value is shown whole, as text, once the page is unescaped: the comment and its
  excerpts without the controls that change the text's direction, as the thread shows it.

The values are stored as the readers' forms would store them; tests/test_comments_text.py
proves the comment's own HTML for any text. The summary email holds the name and the start
of the comment, never a report's note (tests/test_moderation_summary.py).
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from bs4 import BeautifulSoup
from hypothesis import example, given
from hypothesis import strategies as st

from app.comments.forms import tidy
from app.extensions import db
from app.models import Comment, CommentReport, OutboxEmail
from app.web.forms import clean_text
from tests.support.fuzz import PAGE_SAFE_CHARS, PAGE_SAFE_TEXT
from tests.support.readers import make_reader
from tests.test_comments_fuzz import FUZZ
from tests.test_comments_text import BIDI_CONTROLS, PIECES, expected, seen
from tests.test_moderation import make_comment, make_post, report
from tests.test_moderation_summary import OFFICER, SITE, TODAY_8AM, worker_round
from tests.test_moderation_summary import make_comment as make_reported_comment
from tests.test_moderation_summary import report as report_at
from tests.test_readers_fuzz import a_good_name, one_line

ATTACKS = st.sampled_from(
    [
        "<script>alert(1)</script>",
        '"><img src=x onerror=alert(1)>',
        "<a href=javascript:alert(1)>click</a>",
        "<a href='https://evil.example/sso'>Sign in again</a>",
        "<style>*{display:none}</style>",
        '<svg onload="alert(1)">',
        "<!--",
        "-->",
        "<![CDATA[",
        "</dd></dl><b>",
        "&lt;script&gt;",
        "&#x3C;b&#x3E;",
        "&amp;",
        "&",
        "'",
        '"',
        "`",
        "{{ 7 * 7 }}",
        '=HYPERLINK("http://x")',
        "😀",
        "👩\u200d👩\u200d👧",
        "مريم",
        "\u200b",
        "x" * 300,
    ]
)
HOSTILE = st.one_of(
    st.lists(
        st.one_of(
            ATTACKS,
            PIECES,
            st.sampled_from(BIDI_CONTROLS),
            st.text(PAGE_SAFE_CHARS, max_size=8),
        ),
        min_size=1,
        max_size=20,
    ).map("".join),
    PAGE_SAFE_TEXT,
)
# As the readers' forms store them: a name on one line, 1 to 50 characters, with nothing
# invisible; a comment of 1 to 2,000 characters; a note of at most 500.
NAMES = HOSTILE.map(lambda text: one_line(clean_text(text))[:50].strip()).filter(a_good_name)
BODIES = HOSTILE.map(lambda text: tidy(clean_text(text))[:2000].strip()).filter(bool)
NOTES = HOSTILE.map(lambda text: tidy(clean_text(text))[:500].strip())
PLAIN = {"name": "Sam Reader", "body": "A plain comment.", "note": "A plain note."}


def words(text: str) -> str:
    """Text on one line, as the eye reads it: runs of white space as one space."""
    return " ".join(text.split())


def shown(html: str) -> BeautifulSoup:
    """The page or email as a browser or mail client parses it."""
    return BeautifulSoup(html, "html5lib")


def elements(soup, leaving_out=None) -> list[tuple[str, list[str]]]:
    """Every element, in order, with the names of its attributes (their values may hold ids
    and times); leaving out the inside of `leaving_out`."""
    inside = set(map(id, leaving_out.find_all(True))) if leaving_out is not None else set()
    return [(tag.name, sorted(tag.attrs)) for tag in soup.find_all(True) if id(tag) not in inside]


def an_excerpt_of(excerpt: str, text: str) -> bool:
    """Whether `excerpt` is `text` on one line, or its start cut with '…'."""
    whole = words(text)
    return excerpt == whole or (excerpt.endswith("…") and whole.startswith(excerpt[:-1]))


def described(soup, term: str):
    """The <dd> beside the <dt> `term` (the first, in a list of details)."""
    dt = soup.find("dt", string=term)
    assert dt is not None, f"no {term!r}"
    return dt.find_next_sibling("dd")


def fresh_start() -> None:
    db.session.rollback()
    db.session.execute(db.delete(CommentReport))
    db.session.execute(db.delete(Comment))
    db.session.execute(db.delete(OutboxEmail))
    db.session.commit()


# --- the moderation queue and a comment's page ----------------------------------------------


def moderator_pages(admin, values: dict[str, str]) -> tuple[BeautifulSoup, BeautifulSoup]:
    """The queue and the comment's page, with one comment, reported once, made of `values`."""
    fresh_start()
    reader = make_reader(f"{secrets.token_hex(6)}@example.org", values["name"])
    comment = make_comment(make_post("Spring plans"), reader, values["body"])
    report(comment, "other", note=values["note"])
    queue = admin.get("/admin/comments")
    comment_page = admin.get(f"/admin/comments/{comment.id}")
    assert queue.status_code == comment_page.status_code == 200
    return shown(queue.get_data(as_text=True)), shown(comment_page.get_data(as_text=True))


def assert_a_comments_text(dd, body: str) -> None:
    """The comment as its thread shows it: only paragraphs, line breaks and web links made
    from its text, and the text whole."""
    for element in dd.find_all(True):
        assert element.name in {"p", "br", "a"}, element
        if element.name == "a":
            assert set(element.attrs) == {"href", "rel"}, element
            assert element["href"].startswith(("http://", "https://")), element["href"]
        else:
            assert not element.attrs, element
    assert seen(dd) == expected(body)


# Each hostile thing at least once, whatever the generated examples hold.
BY_HAND = {
    "name": '"><img src=x onerror=alert(1)> 😀',
    "body": "<script>alert(1)</script>\n\n<a href=javascript:alert(1)>x</a> \u202egro.live & '\"",
    "note": "<style>*{display:none}</style> \u2066&amp;",
}


def hostile_readers(test):
    """Run `test` on what readers type (name, body, note): generated, and BY_HAND."""
    return FUZZ(given(name=NAMES, body=BODIES, note=NOTES)(example(**BY_HAND)(test)))


@hostile_readers
def test_what_readers_type_is_text_in_the_queue_and_on_a_comments_page(admin, name, body, note):
    plain_queue, plain_page = moderator_pages(admin, PLAIN)
    queue, comment_page = moderator_pages(admin, {"name": name, "body": body, "note": note})

    assert elements(queue) == elements(plain_queue)
    by, excerpt = (words(described(queue, term).get_text()) for term in ("By", "Comment"))
    assert by == words(name)
    assert an_excerpt_of(excerpt, expected(body))

    comment = described(comment_page, "Comment")
    plain_comment = described(plain_page, "Comment")
    assert elements(comment_page, comment) == elements(plain_page, plain_comment)
    assert_a_comments_text(comment, body)
    assert words(described(comment_page, "By").get_text()) == words(name)
    note_shown = words(described(comment_page, "Note").get_text())
    typed_note = words(expected(note))  # without the controls of its direction
    assert note_shown == (typed_note or "No note") or not (typed_note or note_shown), note_shown


# --- the daily summary email ----------------------------------------------------------------


def summary_email(app, clock, smtp_server, values: dict[str, str]):
    """The daily summary, as delivered, of one comment reported once, made of `values`."""
    fresh_start()
    smtp_server.clear()
    comment = make_reported_comment("Parks", values["body"], values["name"])
    report_at(comment, TODAY_8AM - timedelta(hours=1), "other", values["note"])
    assert worker_round(clock, TODAY_8AM) == 1
    [received] = smtp_server.received
    return received


def quoted_comment(text: str) -> str:
    [line] = [line for line in text.splitlines() if line.startswith('Comment: "')]
    return line.removeprefix('Comment: "').removesuffix('"')


@hostile_readers
def test_what_readers_type_is_text_in_both_parts_of_the_daily_summary(
    app, clock, smtp_server, name, body, note
):
    app.config.update(POLICY_OFFICER_EMAIL=OFFICER, SITE_URL=SITE)
    plain = summary_email(app, clock, smtp_server, PLAIN)
    received = summary_email(app, clock, smtp_server, {"name": name, "body": body, "note": note})

    html = shown(received.html)
    assert elements(html) == elements(shown(plain.html))
    assert all(a["href"].startswith(f"{SITE}/admin/comments") for a in html.find_all("a"))
    in_html = words(html.find("body").get_text(" "))
    assert f"by {words(name)}" in in_html
    assert words(expected(body))[:150] in in_html

    text = received.text
    assert f"by {name}" in text
    assert an_excerpt_of(quoted_comment(text), expected(body))
    looks = [line for line in text.splitlines() if line.startswith("Look at it:")]
    assert len(looks) == 1
