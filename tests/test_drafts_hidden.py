"""A draft never leaks: every public address of a draft answers 404 to the public, the
list leaves it out, and a preview link gives nothing once it is replaced or stopped, or
once the consultation is published.

The public addresses are read from the application's URL map, so an address added later
is walked too.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
from flask import Flask

from app.consultations import preview
from app.extensions import db
from app.models import Consultation
from tests.support import survey
from tests.support.actors import Admin
from tests.support.clients import new_browser
from tests.support.factories import SLUG, TITLE, csrf_token
from tests.support.pages import h1_text, page, redirect_path, text_of

PUBLIC_PAGE = f"/consultations/{SLUG}"
NOT_WORKING = "This preview link does not work"
# A plausible value for each argument an address takes besides the slug.
PLAUSIBLE = {
    "page": 1,
    "token": secrets.token_urlsafe(24),
    "day": "2027-02-02",
    "comment_id": 1,
}


def public_addresses(app: Flask, slug: str) -> list[tuple[str, str]]:
    """(method, path) for every public address that names a consultation by its slug."""
    addresses = []
    for rule in app.url_map.iter_rules():
        if "slug" not in rule.arguments or rule.rule.startswith("/admin"):
            continue
        values = {name: PLAUSIBLE.get(name, "x") for name in rule.arguments} | {"slug": slug}
        with app.test_request_context():
            path = app.url_for(rule.endpoint, **values)
        addresses += [(method, path) for method in ("GET", "POST") if method in rule.methods]
    return addresses


@pytest.fixture
def draft(make_survey, clock) -> Consultation:
    """A draft offering every way of taking part, open by its dates."""
    consultation = make_survey()
    consultation.published_at = None
    db.session.commit()
    return consultation


def link_for(consultation: Consultation, clock) -> str:
    """Give the consultation a preview link, as an admin would; its path."""
    return "/preview/" + preview.new_link(consultation, "admin@example.org", clock.now)


def previews(browser, link: str) -> None:
    """Follow a preview link, which must work."""
    followed = browser.get(link)
    assert followed.status_code == 303, followed.status_code
    assert redirect_path(followed) == PUBLIC_PAGE
    assert browser.get(PUBLIC_PAGE).status_code == 200


def answers(browser, addresses: list[tuple[str, str]], token: str) -> dict[str, int]:
    """The status of each address, sent with a valid CSRF token so a POST reaches its view."""
    return {
        f"{method} {path}": browser.open(
            path, method=method, data={"csrf_token": token} if method == "POST" else None
        ).status_code
        for method, path in addresses
    }


def test_every_public_address_of_a_draft_is_404(app, client, draft, make_consultation):
    """Not 200, not a redirect into it, not a 500: the same 404 as a slug that does not exist."""
    addresses = public_addresses(app, SLUG)
    assert {path for _method, path in addresses} >= {
        PUBLIC_PAGE,
        f"{PUBLIC_PAGE}/survey",
        f"{PUBLIC_PAGE}/evidence",
        f"{PUBLIC_PAGE}/contact",
    }
    token = csrf_token(client, "/admin/login")

    statuses = answers(client, addresses, token)

    assert {address: status for address, status in statuses.items() if status != 404} == {}
    assert page(client.get(PUBLIC_PAGE)).main == page(client.get("/consultations/no-such")).main


def test_the_list_leaves_a_draft_out(client, draft, make_consultation):
    make_consultation(slug="published-one", title="Library hours review")

    listed = text_of(page(client.get("/")).find("main"))

    assert "Library hours review" in listed
    assert TITLE not in listed


def test_a_draft_is_hidden_from_a_preview_of_another_draft(app, clock, draft, make_consultation):
    """A link opens its own draft only."""
    other = make_consultation(slug="other-draft", title="Other draft", published_at=None)
    browser = new_browser(app)
    followed = browser.get(link_for(other, clock))
    assert redirect_path(followed) == "/consultations/other-draft"

    assert browser.get(PUBLIC_PAGE).status_code == 404
    assert browser.get("/consultations/other-draft").status_code == 200


def test_a_stopped_link_gives_nothing(app, clock, draft, admin_user):
    """Stopped by an admin: the browser that previewed is out of every page, the link is
    404, and a survey begun in the preview is out of reach."""
    link = link_for(draft, clock)
    colleague = new_browser(app)
    previews(colleague, link)
    colleague_token = csrf_token(colleague, f"{PUBLIC_PAGE}/evidence")
    assert survey.answer(colleague, 1, survey.OFFICER_ROUTE[1]) == survey.page_url(3)

    stopped = Admin.signs_in(app).sends_form(
        f"/admin/consultations/{SLUG}/preview-link/revoke", {}, page="/admin/"
    )
    assert stopped.status_code == 303

    statuses = answers(colleague, public_addresses(app, SLUG), colleague_token)
    assert {address: status for address, status in statuses.items() if status != 404} == {}
    for browser in (colleague, new_browser(app)):
        refused = browser.get(link)
        assert refused.status_code == 404
        assert h1_text(refused) == NOT_WORKING


def test_a_new_link_ends_the_old_one(app, clock, draft):
    old = link_for(draft, clock)
    colleague = new_browser(app)
    previews(colleague, old)

    new = link_for(draft, clock)

    assert colleague.get(PUBLIC_PAGE).status_code == 404
    assert new_browser(app).get(old).status_code == 404
    previews(new_browser(app), new)


# Named, since a random value in a test's id differs between the suite's worker processes.
@pytest.mark.parametrize(
    "token",
    ["", "x", secrets.token_urlsafe(32), "a" * 500],
    ids=["empty", "short", "well-formed", "too-long"],
)
def test_a_link_no_draft_has_is_404(client, draft, clock, token):
    link_for(draft, clock)
    refused = client.get(f"/preview/{token}" if token else "/preview/")
    assert refused.status_code == 404
    assert client.get(PUBLIC_PAGE).status_code == 404


def test_a_published_consultations_old_link_puts_no_browser_in_preview(app, clock, draft):
    """Published with its link still set, the link says where the consultation now is; the
    browser that follows it is not previewing, even if it becomes a draft again."""
    link = link_for(draft, clock)
    previewed_before = new_browser(app)
    previews(previewed_before, link)
    draft.published_at = clock.now
    db.session.commit()

    browser = new_browser(app)
    followed = browser.get(link)
    assert followed.status_code == 404
    assert h1_text(followed) == NOT_WORKING
    assert page(followed).find("a", href=PUBLIC_PAGE) is not None
    public = previewed_before.get(PUBLIC_PAGE)
    assert public.status_code == 200
    assert page(public).find(attrs={"aria-label": "Preview"}) is None

    draft.published_at = None
    db.session.commit()
    assert browser.get(PUBLIC_PAGE).status_code == 404


def test_the_list_leaves_out_a_draft_being_previewed(app, clock, draft):
    """Even for the browser previewing it, the list shows only published consultations."""
    colleague = new_browser(app)
    previews(colleague, link_for(draft, clock))
    assert TITLE not in text_of(page(colleague.get("/")).find("main"))


def test_a_draft_that_was_open_yesterday_stays_hidden(client, clock, draft):
    """Its dates do not matter: a draft whose dates have passed is no more public."""
    draft.opens_at = clock.now - timedelta(days=30)
    draft.closes_at = clock.now - timedelta(days=1)
    db.session.commit()
    assert client.get(PUBLIC_PAGE).status_code == 404
    assert client.get(f"{PUBLIC_PAGE}/contact").status_code == 404
