"""Staff see a draft's public pages as a preview: admins and officers, signed in, walk
through it with no link, nothing they send is stored, and signing out hides it again."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models import OutboxEmail, Response
from tests.support import evidence
from tests.support.actors import Admin, Officer
from tests.support.clients import new_browser
from tests.support.factories import SLUG
from tests.support.pages import page

PUBLIC_PAGE = f"/consultations/{SLUG}"


def make_draft(make_survey):
    consultation = make_survey()
    consultation.published_at = None
    db.session.commit()
    return consultation


def stored_rows() -> tuple[int, int]:
    db.session.expire_all()
    return (
        db.session.scalar(select(func.count()).select_from(Response)),
        db.session.scalar(select(func.count()).select_from(OutboxEmail)),
    )


def test_an_officer_sees_the_draft_as_a_preview(app, make_survey):
    make_draft(make_survey)
    officer = Officer.signs_in(app)

    shown = officer.reads(PUBLIC_PAGE)

    assert shown.status_code == 200
    banner = page(shown).find(attrs={"role": "region", "aria-label": "Preview"})
    assert banner is not None, "no preview banner"
    # Signed in, there is no preview to leave: the way out is back to the admin area.
    assert banner.find("button") is None
    back = banner.find("a", string="Back to its page in the admin area")
    assert back is not None and back["href"] == f"/admin/consultations/{SLUG}"
    assert new_browser(app).get(PUBLIC_PAGE).status_code == 404


def test_what_an_admin_sends_through_a_draft_is_not_stored(app, admin_user, make_survey, clock):
    make_draft(make_survey)
    admin = Admin.signs_in(app)

    sent = evidence.send(admin.browser, clock)

    assert sent.status_code == 200, sent.status_code
    assert "not sent" in page(sent).get_text()
    assert stored_rows() == (0, 0)


def test_signed_out_the_draft_is_hidden_again(app, admin_user, make_survey):
    make_draft(make_survey)
    admin = Admin.signs_in(app)
    assert admin.reads(PUBLIC_PAGE).status_code == 200

    admin.sends_form("/admin/logout", {})

    assert admin.reads(PUBLIC_PAGE).status_code == 404
