"""The sign-up and follow boxes, the list's cards and admins' Markdown are rendered once and
kept (app.web.fragments): every visitor gets the same box, with a stamp of their own, and
never anyone else's; whatever a piece shows changes as soon as it does. The boxes carry
no CSRF token: a form sent to them from another site is refused by what the browser says
of where it came from (CSRFProtect.origin_only)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from markupsafe import Markup

from app.consultations.lifecycle import Override
from app.extensions import db
from app.intake.submissions import read_stamp
from app.web import fragments
from tests.support.clients import new_browser
from tests.support.pages import h1_text, page, text_of
from tests.test_updates_pages import (
    ADA,
    CONSULTATION,
    FOLLOW,
    SIGN_UP,
    form_to,
    hidden_of,
    subscriber,
)

BOXES = [("/", SIGN_UP), (CONSULTATION, SIGN_UP), (CONSULTATION, FOLLOW)]
# What a browser says of where a form came from, and whether the form is taken.
SENT_FROM = [
    pytest.param({"Origin": "http://evil.example"}, False, id="Origin of another site"),
    pytest.param({"Origin": "null"}, False, id="opaque Origin"),
    pytest.param({"Sec-Fetch-Site": "cross-site"}, False, id="Sec-Fetch-Site cross-site"),
    pytest.param({"Sec-Fetch-Site": "same-site"}, False, id="Sec-Fetch-Site same-site"),
    pytest.param(
        {"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"}, True, id="this site"
    ),
    pytest.param({"Origin": "http://localhost"}, True, id="this site, by Origin only"),
    pytest.param({}, True, id="neither, as from no browser"),
]


def without_stamp(form) -> str:
    form.find("input", attrs={"name": "loaded"})["value"] = ""
    return str(form)


def test_two_visitors_get_the_same_boxes_with_stamps_of_their_own(app, clock, make_consultation):
    make_consultation()
    ada, bea = new_browser(app), new_browser(app)
    for path, action in BOXES:
        form_a = form_to(ada.get(path), action)
        clock.advance(seconds=2)
        form_b = form_to(bea.get(path), action)
        assert "csrf_token" not in hidden_of(form_a)
        assert hidden_of(form_a)["loaded"] != hidden_of(form_b)["loaded"]
        assert without_stamp(form_a) == without_stamp(form_b)


def box_sent(app, clock, path: str, action: str, headers: dict):
    """A person's answer in the box on `path`, sent a few seconds later with `headers`."""
    browser = new_browser(app)
    form = form_to(browser.get(path), action)
    clock.advance(seconds=5)
    sent = {**hidden_of(form), "website": "", "email": ADA}
    return browser.post(action, data=sent, headers=headers)


@pytest.mark.parametrize(("headers", "taken"), SENT_FROM)
@pytest.mark.parametrize(("path", "action"), BOXES)
def test_a_box_needs_no_token_but_must_not_come_from_another_site(
    app, clock, make_consultation, headers, taken, path, action
):
    make_consultation()

    answer = box_sent(app, clock, path, action, headers)

    if taken:
        assert answer.status_code == 303
        assert answer.headers["Location"].endswith("/updates/check-your-email")
        assert subscriber() is not None
    else:
        assert answer.status_code == 400
        assert h1_text(answer) == "This form was sent from another website"
        assert subscriber() is None


def test_each_box_is_stamped_when_it_is_served(app, clock, make_consultation):
    make_consultation()
    browser = new_browser(app)
    for path, action in BOXES:
        for _ in range(2):
            clock.advance(minutes=7)
            loaded = hidden_of(form_to(browser.get(path), action))["loaded"]
            assert read_stamp(loaded) == clock.now


def test_the_follow_box_says_what_is_still_to_come_as_time_passes(app, clock, make_consultation):
    make_consultation(
        opens_at=clock.now - timedelta(days=1), closes_at=clock.now + timedelta(days=10)
    )
    browser = new_browser(app)

    def promised() -> str:
        return text_of(form_to(browser.get(CONSULTATION), FOLLOW).find_parent("section"))

    assert "a week before it closes" in promised()
    clock.advance(days=4)
    assert "a week before it closes" not in promised()
    assert "when it closes" in promised()


def test_a_slot_is_filled_in_escaped_and_the_piece_rendered_once(app):
    rendered = []

    def render(slots):
        rendered.append(dict(slots))
        return Markup('<input name="token" value="{}"><p>{}</p>').format(
            slots["token"], slots["other"]
        )

    with app.test_request_context("/"):
        first = fragments.rendered_once("a piece", render, token='a"<b>', other="1 & 2")
        second = fragments.rendered_once("a piece", render, token="c", other="d")
        elsewhere = fragments.rendered_once("another", render, token="e", other="f")
    assert first == '<input name="token" value="a&#34;&lt;b&gt;"><p>1 &amp; 2</p>'
    assert second == '<input name="token" value="c"><p>d</p>'
    assert elsewhere == '<input name="token" value="e"><p>f</p>'
    assert len(rendered) == 2


def test_a_piece_without_slots_is_kept_whole(app):
    with app.test_request_context("/"):
        first = fragments.rendered_once("whole", lambda _: Markup("<p>a &amp; b</p>"))
        again = fragments.rendered_once("whole", lambda _: Markup("<p>changed</p>"))
    assert first == again == "<p>a &amp; b</p>"


def test_a_changed_body_is_shown_as_soon_as_it_changes(app, make_consultation):
    """A consultation's body is rendered once for each text it has had, never for its slug."""
    consultation = make_consultation(body="## Before\n\nThe *first* words.")
    browser = new_browser(app)
    assert "<em>first</em>" in browser.get(CONSULTATION).get_data(as_text=True)
    consultation.body = "## After\n\nThe *second* words."
    db.session.commit()
    shown = browser.get(CONSULTATION).get_data(as_text=True)
    assert "<h2>After</h2>" in shown
    assert "<em>first</em>" not in shown


def card_of(browser, title: str) -> str:
    shown = page(browser.get("/"))
    link = shown.find("a", string=title)
    assert link is not None, f"no card for {title}"
    return text_of(link.find_parent("li"))


def test_a_consultations_card_shows_what_it_is_now(app, clock, make_consultation):
    """The list's cards are kept by all they show: a change shows at once."""
    consultation = make_consultation(
        override=Override.CLOSED.value, closes_at=clock.now + timedelta(hours=1)
    )
    browser = new_browser(app)
    assert card_of(browser, consultation.title).endswith("Closed")
    clock.advance(hours=2)
    assert card_of(browser, consultation.title).endswith("Closed 1pm UK time on 1 February 2027")
    consultation.title, consultation.summary = "Bus routes", "Where buses should go."
    db.session.commit()
    assert card_of(browser, "Bus routes").startswith("Bus routes Where buses should go. Closed")
    consultation.override = Override.AUTO.value
    consultation.closes_at = clock.now + timedelta(days=3)
    db.session.commit()
    assert card_of(browser, "Bus routes").endswith("Closes 2pm UK time on 4 February 2027")
