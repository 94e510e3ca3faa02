"""A settings form opened before a change made on another admin page never undoes it.

The dates page, the email alerts page and the calls page change what the settings form
shows; a form loaded before such a change is refused (409) like one loaded before another
admin saved the settings form itself, and the other page's change stays.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Consultation
from tests.support.actors import Admin
from tests.support.factories import SLUG
from tests.support.pages import page, sent_by, with_changes

SETTINGS_URL = f"/admin/consultations/{SLUG}/settings"


def stored() -> Consultation:
    db.session.expire_all()
    return db.session.scalars(select(Consultation)).one()


def settings_form(response):
    form = page(response).find("form", action=SETTINGS_URL)
    assert form is not None, "no settings form on the page"
    return sent_by(form)


OTHER_PAGES = [
    pytest.param(
        f"/admin/consultations/{SLUG}/dates",
        {"opens_at": "2027-01-20T09:00", "closes_at": "2027-03-20T17:00"},
        lambda c: c.closes_at.isoformat(),
        "2027-03-20T17:00:00+00:00",
        id="dates",
    ),
    pytest.param(
        f"/admin/consultations/{SLUG}/alerts",
        {"alert_mode": "daily"},
        lambda c: c.alert_mode,
        "daily",
        id="alerts",
    ),
    pytest.param(
        f"/admin/consultations/{SLUG}/calls/settings",
        {"messages_after_close": "no", "bookings_after_close": "no"},
        lambda c: c.messages_after_close,
        False,
        id="calls",
    ),
]


@pytest.mark.parametrize(("path", "fields", "read", "expected"), OTHER_PAGES)
def test_a_change_on_another_page_is_not_undone_by_an_older_settings_form(
    app, admin_user, make_survey, path, fields, read, expected
):
    make_survey()
    editor, other = Admin.signs_in(app), Admin.signs_in(app)
    opened = settings_form(editor.reads(SETTINGS_URL))
    assert read(stored()) != expected

    answer = other.sends_form(path, fields)
    assert answer.status_code == 303, answer.get_data(as_text=True)[:400]
    assert read(stored()) == expected

    sent = editor.browser.post(SETTINGS_URL, data=with_changes(opened, {"summary": "Mine"}))

    assert sent.status_code == 409
    assert read(stored()) == expected
    assert stored().summary != "Mine"


def test_a_settings_form_opened_after_the_change_saves(app, admin_user, make_survey):
    make_survey()
    editor, other = Admin.signs_in(app), Admin.signs_in(app)
    assert other.sends_form(f"/admin/consultations/{SLUG}/alerts", {"alert_mode": "daily"})

    opened = settings_form(editor.reads(SETTINGS_URL))
    sent = editor.browser.post(SETTINGS_URL, data=with_changes(opened, {"summary": "Mine"}))

    assert sent.status_code == 303
    assert (stored().summary, stored().alert_mode) == ("Mine", "daily")
