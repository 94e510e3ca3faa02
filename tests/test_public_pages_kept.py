"""The list and a consultation's page keep their drawing by all they show
(app.public.routes, app.web.fragments): after any change to what they show, and as time
passes, each is drawn exactly as it would be afresh."""

from __future__ import annotations

import re
from datetime import timedelta

from app.consultations.lifecycle import Override
from app.extensions import db
from tests.support.clients import new_browser
from tests.support.factories import SLUG

OWN_VALUES = re.compile(r'(name="(?:csrf_token|loaded)" type="hidden" value=")[^"]*"')
PAGES = ("/", f"/consultations/{SLUG}")


def drawn(browser, path: str) -> str:
    shown = browser.get(path)
    assert shown.status_code == 200, (path, shown.status_code)
    return OWN_VALUES.sub(r'\1"', shown.get_data(as_text=True))


def assert_drawn_as_afresh(app, browser) -> dict[str, str]:
    """Both pages, drawn twice as kept and once afresh; the afresh drawings."""
    afresh = {}
    for path in PAGES:
        kept = [drawn(browser, path), drawn(browser, path)]
        app.jinja_env.auto_reload = True  # nothing is kept while templates reload
        try:
            afresh[path] = drawn(browser, path)
        finally:
            app.jinja_env.auto_reload = False
        assert kept == [afresh[path], afresh[path]], path
    return afresh


def changes(clock):
    """A change to each thing the pages show, one after another."""
    yield {"title": "Bus routes in the valley"}
    yield {"summary": "Where the buses should stop."}
    yield {"body": "## New words\n\nA *different* page."}
    yield {"officer_name": "Ola Bello", "officer_email": "ola@example.org"}
    yield {"officer_phone": ""}
    yield {"channels": ["evidence"]}
    yield {"closes_at": clock.now + timedelta(days=2)}  # under a week: time left shows
    yield {"override": Override.CLOSED.value}  # closed early by hand
    yield {"channels": ["contact"]}  # the officer still takes messages
    yield {"messages_after_close": False}
    yield {"outcome": "We heard you.", "outcome_published_at": clock.now}
    yield {"outcome": "We heard you, and changed the routes."}
    yield {"override": Override.AUTO.value, "opens_at": clock.now + timedelta(days=1)}


def test_each_change_is_drawn_as_afresh(app, clock, make_consultation):
    consultation = make_consultation()
    browser = new_browser(app)
    before = assert_drawn_as_afresh(app, browser)
    for change in changes(clock):
        for name, value in change.items():
            setattr(consultation, name, value)
        db.session.commit()
        after = assert_drawn_as_afresh(app, browser)
        assert after[f"/consultations/{SLUG}"] != before[f"/consultations/{SLUG}"], change
        before = after


def test_the_time_left_and_the_deadline_passing_are_drawn_as_afresh(app, clock, make_consultation):
    make_consultation(closes_at=clock.now + timedelta(days=2, hours=3))
    browser = new_browser(app)
    shown = assert_drawn_as_afresh(app, browser)
    assert "2 days left to respond" in shown[f"/consultations/{SLUG}"]
    for step, words in [
        (timedelta(days=1), "1 day left"),
        (timedelta(days=1), "3 hours left"),
        (timedelta(hours=3), "The deadline for responses has passed"),
    ]:
        clock.advance(seconds=step.total_seconds())
        shown = assert_drawn_as_afresh(app, browser)
        assert words in shown[f"/consultations/{SLUG}"], words
