"""A visitor's session cookie is sent only when something in it changed, and a signed-in
session still holds only in the browser that signed in (Flask-Login's strong protection),
though public pages no longer ask who the visitor is."""

from __future__ import annotations

from tests.support.clients import new_browser
from tests.support.factories import SLUG
from tests.support.pages import redirect_path

PUBLIC_PAGES = ["/", f"/consultations/{SLUG}", "/privacy", "/news"]


def test_a_visitor_who_only_reads_is_sent_no_cookie(app, make_consultation):
    """The public pages' forms (signing up for emails) carry no token, so start no session."""
    make_consultation()
    browser = new_browser(app)
    for path in PUBLIC_PAGES:
        shown = browser.get(path)
        assert shown.status_code == 200, path
        assert shown.headers.getlist("Set-Cookie") == [], path


def test_a_returning_visitor_is_sent_no_cookie(app, make_consultation):
    make_consultation()
    browser = new_browser(app)
    first = browser.get("/your-response/new-link")  # its form carries a CSRF token
    assert [cookie.split("=")[0] for cookie in first.headers.getlist("Set-Cookie")] == ["session"]
    for path in PUBLIC_PAGES:
        again = browser.get(path)
        assert again.status_code == 200, path
        assert again.headers.getlist("Set-Cookie") == [], path


def test_a_signed_in_session_copied_to_another_browser_is_refused(app, admin, make_consultation):
    make_consultation()
    assert admin.get("/admin/").status_code == 200
    thief = new_browser(app)
    thief.set_cookie("session", admin.get_cookie("session").value)
    other_browser = {"User-Agent": "Another browser/1.0"}
    for path in PUBLIC_PAGES:
        assert thief.get(path, headers=other_browser).status_code == 200, path
    refused = thief.get("/admin/", headers=other_browser)
    assert refused.status_code == 302
    assert redirect_path(refused) == "/admin/login"
    # The signed-in browser itself carries on.
    assert admin.get("/admin/").status_code == 200


def test_staff_see_a_draft_and_its_banner_and_visitors_do_not(app, admin, make_consultation):
    make_consultation(published_at=None)
    shown = admin.get(f"/consultations/{SLUG}")
    assert shown.status_code == 200
    assert b"You can see it because you are signed in." in shown.data
    assert new_browser(app).get(f"/consultations/{SLUG}").status_code == 404
