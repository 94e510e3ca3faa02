"""A deleted comment's or reader's id is never given to a new one (migration 0012).

SQLite gave a new row the largest id plus one, so a moderator's page open at the newest
comment, once that comment was deleted, would act on the next comment posted. These run
on whichever database this run uses; the migration's own test builds a SQLite file at
revision 0011 with rows in it and upgrades it.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import select

from app import create_app
from app.comments import services
from app.extensions import db
from app.models import Comment, NewsPost, Reader
from tests.support.clients import new_browser
from tests.support.readers import make_reader, sign_in

SLUG = "our-plans"


def _post(clock) -> NewsPost:
    post = NewsPost(
        slug=SLUG, title="Our plans", live=True, published_at=clock.now - timedelta(days=1)
    )
    db.session.add(post)
    db.session.commit()
    return post


def test_a_new_comment_never_takes_a_deleted_comment_s_id(app: Flask, clock):
    post = _post(clock)
    ada = make_reader("ada@example.org", "Ada")
    services.post_comment(post, ada, "First", clock.now)
    newest = services.post_comment(post, ada, "Second, deleted", clock.now)
    deleted_id = newest.id
    services.delete_comment(newest)

    bea = make_reader("bea@example.org", "Bea")
    new = services.post_comment(post, bea, "Posted after the deletion", clock.now)
    assert new.id > deleted_id
    # A page still open at the deleted comment reaches nothing, not Bea's comment.
    browser = new_browser(app)
    sign_in(browser, make_reader("cal@example.org", "Cal"))
    assert browser.get(f"/news/{SLUG}/comments/{deleted_id}/report").status_code == 404


def test_a_new_reader_never_takes_a_deleted_reader_s_id(app: Flask):
    make_reader("ada@example.org", "Ada")
    newest = make_reader("bea@example.org", "Bea")
    deleted_id = newest.id
    db.session.delete(newest)
    db.session.commit()
    assert make_reader("cal@example.org", "Cal").id > deleted_id


# --- the migration, on SQLite ----------------------------------------------------------------


def _store_as_at_0011(connection: sa.Connection) -> None:
    """A post, two readers (one signed in), three comments and a report, as at 0011."""
    when = "2027-02-01 12:00:00.000000"
    statements = [
        "INSERT INTO news_post (id, slug, title, live, published_at, created_at, updated_at)"
        " VALUES (1, 'our-plans', 'Our plans', 1, :when, :when, :when)",
        "INSERT INTO reader (id, email_hash, email, name, created_at)"
        " VALUES (1, 'hash-ada', 'ada@example.org', 'Ada', :when),"
        " (2, 'hash-bea', 'bea@example.org', 'Bea', :when)",
        "INSERT INTO reader_session (token_hash, reader_id, created_at, expires_at)"
        " VALUES ('session-of-bea', 2, :when, :when)",
        "INSERT INTO comment (id, post_id, reader_id, body, created_at, status)"
        " VALUES (1, 1, 1, 'From Ada', :when, 'visible'), (2, 1, 2, 'From Bea', :when, 'held'),"
        " (3, 1, 2, 'Also from Bea', :when, 'visible')",
        "INSERT INTO comment_report (comment_id, reason, reporter, created_at)"
        " VALUES (2, 'spam', 'someone', :when)",
    ]
    for statement in statements:
        connection.execute(sa.text(statement), {"when": when})


def _rows(connection: sa.Connection) -> dict[str, list[tuple]]:
    queries = {
        "reader": "SELECT id, email, name FROM reader ORDER BY id",
        "session": "SELECT token_hash, reader_id FROM reader_session ORDER BY id",
        "comment": "SELECT id, reader_id, body, status FROM comment ORDER BY id",
        "report": "SELECT comment_id, reason FROM comment_report ORDER BY id",
    }
    return {
        name: [tuple(row) for row in connection.execute(sa.text(sql))]
        for name, sql in queries.items()
    }


def test_revision_0012_keeps_every_row_and_what_points_at_it(tmp_path: Path):
    app = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.db'}"}
    )
    with app.app_context():
        upgrade(revision="0011_news")
        with db.engine.begin() as connection:
            _store_as_at_0011(connection)
            before = _rows(connection)
        upgrade()
        db.engine.dispose()  # the migrations' connection has foreign keys turned off
        with db.engine.begin() as connection:
            assert _rows(connection) == before
            assert connection.execute(sa.text("PRAGMA foreign_key_check")).all() == []

        # Ids go on from the largest given, even once the newest rows are deleted.
        db.session.delete(db.session.get(Comment, 3))
        db.session.commit()
        post = db.session.get(NewsPost, 1)
        ada = db.session.get(Reader, 1)
        assert services.post_comment(post, ada, "After the upgrade", post.published_at).id == 4
        # The foreign keys still act: Bea's account goes, her session with it, her
        # comment stays as a former reader's, and its report stays with it.
        db.session.delete(db.session.get(Reader, 2))
        db.session.commit()
        assert make_reader("cal@example.org", "Cal").id == 3
        assert db.session.scalars(select(Comment.reader_id).order_by(Comment.id)).all() == [
            1,
            None,
            1,
        ]
        with db.engine.begin() as connection:
            rows = _rows(connection)
        assert rows["session"] == [] and rows["report"] == [(2, "spam")]

        downgrade(revision="0011_news")
        with db.engine.begin() as connection:
            assert _rows(connection) == rows
        db.session.remove()
        db.engine.dispose()
