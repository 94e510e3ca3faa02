"""A draft's private preview link, as an admin makes it and a colleague without an account
walks through the draft with it.

The colleague sees every page and form as a respondent would, with a banner saying it is
a preview; the forms check what is sent as usual, but nothing is stored and no one is
emailed. The database keeps only the link's hash, so the admin sees the link once.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from flask import render_template
from flask_login import login_user
from sqlalchemy import func, select

from app.consultations.lifecycle import State
from app.consultations.preview import mark_preview, token_hash
from app.contact.channel import CONTACT
from app.evidence.channel import EVIDENCE
from app.extensions import db
from app.models import AdminUser, AuditEvent, Booking, Consultation, Response
from tests.support import contact, evidence, survey
from tests.support import sample_files as sf
from tests.support.actors import Admin, Officer
from tests.support.audit import audit_count
from tests.support.clients import new_browser
from tests.support.factories import ADMIN_EMAIL, SLUG, TITLE
from tests.support.html_checks import check_page
from tests.support.outbox import outbox
from tests.support.pages import error_messages, h1_text, page, redirect_path, text_of

PAGE = f"/admin/consultations/{SLUG}"
MAKE = f"{PAGE}/preview-link"
REVOKE = f"{PAGE}/preview-link/revoke"
PUBLIC_PAGE = f"/consultations/{SLUG}"
NOT_SENT = "This is a preview: your response was not sent"
BANNER = "This is a preview of a draft consultation. Nothing you send is stored or emailed."


@pytest.fixture
def draft(make_survey, clock) -> Consultation:
    """A draft with every way of taking part, due to open in ten days."""
    consultation = make_survey(
        opens_at=clock.now + timedelta(days=10), closes_at=clock.now + timedelta(days=40)
    )
    consultation.published_at = None
    db.session.commit()
    return consultation


@pytest.fixture
def admin(app, admin_user) -> Admin:
    return Admin.signs_in(app)


def makes_link(admin: Admin) -> str:
    """The admin makes a preview link; the path of the link the page then shows."""
    made = admin.sends_form(MAKE, {}, page=PAGE)
    assert made.status_code == 303, made.status_code
    assert redirect_path(made) == PAGE
    shown = page(admin.reads(PAGE)).find("input", id="preview-link-url")
    assert shown is not None, "the new link is not shown"
    return urlsplit(shown["value"]).path


def preview_section(response):
    section = page(response).find("section", id="preview-link")
    assert section is not None, "no preview link section"
    return section


def banner(response) -> str:
    """The preview banner's text, or "" when the page has none."""
    region = page(response).find(attrs={"role": "region", "aria-label": "Preview"})
    return text_of(region) if region else ""


def follows(browser, link: str):
    """Follow a preview link: it leads to the consultation's page."""
    followed = browser.get(link)
    assert followed.status_code == 303, followed.status_code
    assert redirect_path(followed) == PUBLIC_PAGE
    return browser.get(PUBLIC_PAGE)


@pytest.fixture
def colleague(app, admin, draft):
    """Someone with no account, who has followed the admin's preview link."""
    browser = new_browser(app)
    assert follows(browser, makes_link(admin)).status_code == 200
    return browser


def what_you_sent(response) -> list[tuple[str, str]]:
    """The not-sent page's rows under "What you sent", as (label, value)."""
    title = page(response).find("h2", string="What you sent")
    assert title is not None, "no list of what was sent"
    return [
        (text_of(row.find("dt")), text_of(row.find("dd")))
        for row in title.find_next_sibling("dl").find_all("div")
    ]


def published_now(consultation: Consultation, clock) -> None:
    """Publish the draft, open now, so that the same response can be sent for real."""
    consultation.published_at = consultation.opens_at = clock.now - timedelta(days=1)
    db.session.commit()


def receipt_rows(channel, response: Response) -> list[tuple[str, str]]:
    """The rows the receipt of a stored response lists, as a page shows them."""
    return [(label, " ".join(value.split())) for label, value in channel.emailed_rows(response)]


def count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


# The admin's side


def test_an_admin_makes_a_link_shown_once_kept_only_as_a_hash_and_audited(app, admin, draft):
    """The page shows the new link in a labelled read-only field once; the database keeps
    its hash; the audit log says it was made; the page later says a link is working."""
    before = audit_count()

    link = makes_link(admin)

    assert link.startswith("/preview/")
    token = link.removeprefix("/preview/")
    db.session.refresh(draft)
    assert draft.preview_hash == token_hash(token)
    assert token not in repr(db.session.execute(select(Consultation.__table__)).all())
    assert audit_count() == before + 1
    event = db.session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()))
    assert (event.action, event.actor, event.consultation_id) == (
        "preview_link",
        ADMIN_EMAIL,
        draft.id,
    )

    again = preview_section(admin.reads(PAGE))
    assert again.find("input", id="preview-link-url") is None, "the link is shown more than once"
    assert "A preview link made at midday UK time on 1 February 2027 is working." in text_of(again)
    assert "Make a new link to see it again" in text_of(again)
    buttons = [text_of(b) for b in again.find_all("button")]
    assert buttons == ["Make a new preview link", "Stop this link working"]


def test_the_link_shown_has_its_label_and_the_date_it_was_made(admin, draft, clock):
    made = admin.sends_form(MAKE, {}, page=PAGE)
    section = preview_section(admin.reads(made.headers["Location"]))
    field = section.find("input", id="preview-link-url")
    assert field.has_attr("readonly")
    assert (
        text_of(section.find("label", attrs={"for": "preview-link-url"})) == "Your new preview link"
    )
    assert field["value"].startswith("http://127.0.0.1:5000/preview/")
    assert "Made at midday UK time on 1 February 2027." in text_of(section)


def test_a_draft_without_a_link_offers_to_make_one(admin, draft):
    section = preview_section(admin.reads(PAGE))
    assert "There is no preview link." in text_of(section)
    assert [text_of(b) for b in section.find_all("button")] == ["Make a preview link"]


def test_a_new_link_replaces_the_old_one_and_is_audited_as_such(app, admin, draft):
    first = makes_link(admin)
    second = makes_link(admin)

    assert first != second
    db.session.refresh(draft)
    assert draft.preview_hash == token_hash(second.removeprefix("/preview/"))
    details = list(
        db.session.scalars(select(AuditEvent.detail).where(AuditEvent.action == "preview_link"))
    )
    assert details == ["Made a link", "Made a new link; the earlier one no longer works"]


def test_an_admin_stops_the_link_and_the_colleague_is_out(app, admin, colleague, draft):
    before = audit_count()

    stopped = admin.sends_form(REVOKE, {}, page=PAGE)

    assert stopped.status_code == 303
    assert redirect_path(stopped) == PAGE
    assert audit_count() == before + 1
    db.session.refresh(draft)
    assert (draft.preview_hash, draft.preview_made_at) == (None, None)
    assert colleague.get(PUBLIC_PAGE).status_code == 404
    assert "There is no preview link." in text_of(preview_section(admin.reads(PAGE)))


def test_a_published_consultation_gets_no_link(admin, make_consultation):
    published = make_consultation()
    before = audit_count()

    refused = admin.sends_form(MAKE, {}, page=PAGE)

    assert refused.status_code == 303
    db.session.refresh(published)
    assert published.preview_hash is None
    assert audit_count() == before


def test_officers_see_the_link_read_only_and_cannot_make_or_stop_it(app, admin, draft):
    makes_link(admin)
    db.session.refresh(draft)
    kept = draft.preview_hash
    before = audit_count()
    officer = Officer.signs_in(app)

    section = preview_section(officer.reads(PAGE))
    assert section.find("button") is None and section.find("form") is None
    assert "A preview link made at midday UK time on 1 February 2027 is working." in text_of(
        section
    )
    assert "Only an admin can make or stop a preview link." in text_of(section)

    assert officer.sends_form(MAKE, {}, page=PAGE).status_code == 403
    assert officer.sends_form(REVOKE, {}, page=PAGE).status_code == 403
    db.session.refresh(draft)
    assert draft.preview_hash == kept
    assert audit_count() == before


@pytest.mark.parametrize("role", ["admin", "officer"])
def test_the_partial_renders_on_its_own_with_the_consultation_and_the_user(app, draft, role):
    user = AdminUser(email=f"{role}@example.org", role=role)
    user.set_password("a password of some length")
    db.session.add(user)
    db.session.commit()
    with app.test_request_context(PAGE):
        login_user(user)
        html = render_template(
            "admin/authoring/_preview_link.html", consultation=draft, current_user=user
        )
    soup = check_page(html, fragment=True)
    assert text_of(soup.find("h2")) == "Preview link"
    assert bool(soup.find("button")) is (role == "admin")


# The colleague's side


def test_the_link_leads_to_the_draft_with_the_banner_and_its_ways_to_take_part(colleague):
    """The draft opens in ten days, yet in the preview it is open: the forms are offered."""
    shown = colleague.get(PUBLIC_PAGE)

    assert h1_text(shown) == TITLE
    assert banner(shown) == BANNER + " Leave the preview"
    ways = [text_of(a) for a in page(shown).select(".ways a")]
    assert ways == ["Answer the survey", "Send written evidence", "Get in touch"]


@pytest.mark.parametrize(
    "path",
    [
        evidence.URL,
        contact.MESSAGE_URL,
        survey.SURVEY,
        survey.page_url(1),
    ],
)
def test_every_form_shows_with_the_banner(colleague, path):
    shown = colleague.get(path)
    assert shown.status_code == 200, shown.status_code
    assert banner(shown).startswith(BANNER)


def test_evidence_with_a_document_is_checked_but_neither_stored_nor_emailed(app, clock, colleague):
    sent = evidence.send(colleague, clock, evidence.VALID, [sf.upload("pdf", "report.pdf")])

    assert sent.status_code == 200, error_messages(sent)
    assert h1_text(sent) == NOT_SENT
    assert banner(sent).startswith(BANNER)
    said = text_of(page(sent).find("main"))
    assert "Sam Okafor would get an email about it, at officer@example.org." in said
    assert f"a receipt with a copy of your response at {evidence.RESPONDENT}" in said
    assert "Your document (report.pdf) passed our checks" in said
    assert "Our food bank runs three contracts for the council." in said
    evidence.assert_nothing_stored(app)


def test_evidence_in_a_preview_lists_everything_its_receipt_would(app, clock, colleague, draft):
    previewed = what_you_sent(evidence.send(colleague, clock, evidence.VALID))
    evidence.assert_nothing_stored(app)

    published_now(draft, clock)
    evidence.sent_ok(evidence.send(new_browser(app), clock, evidence.VALID))
    [stored] = evidence.responses()

    assert previewed == receipt_rows(EVIDENCE, stored)
    assert [label for label, _value in previewed] == [
        "Name",
        "Email address",
        "Which best describes you?",
        "Organisation",
        "Themes",
        "Evidence",
        "May we publish your response?",
    ]


def test_evidence_with_a_problem_is_refused_as_usual(app, clock, colleague):
    refused = evidence.send(colleague, clock, {**evidence.VALID, "evidence": ""})

    evidence.assert_refused_with(refused, "evidence", "Enter your evidence")
    assert banner(refused).startswith(BANNER)
    evidence.assert_nothing_stored(app)


def test_a_message_asking_for_a_call_books_nothing_and_emails_no_one(clock, colleague, draft):
    contact.publish(draft, clock.now + timedelta(days=3))

    sent = contact.send_message(colleague, clock)

    assert sent.status_code == 200, error_messages(sent)
    assert h1_text(sent) == NOT_SENT
    said = text_of(page(sent).find("main"))
    assert "You would then choose a time for your call: 1 time is free now." in said
    assert contact.VALID_MESSAGE["subject"] in said
    assert count(Response) == 0
    assert count(Booking) == 0
    assert outbox() == []


def test_a_message_in_a_preview_lists_everything_its_receipt_would(app, clock, colleague, draft):
    typed = {**contact.VALID_MESSAGE, "wants_call": "no"}
    previewed = what_you_sent(contact.send_message(colleague, clock, typed))
    assert count(Response) == 0

    published_now(draft, clock)
    sent = contact.send_message(new_browser(app), clock, typed)
    assert sent.status_code == 303, error_messages(sent)
    [stored] = db.session.scalars(select(Response)).all()

    assert previewed == receipt_rows(CONTACT, stored)
    assert dict(previewed)["Telephone number"] == "020 7946 0123"
    assert dict(previewed)["Organisation"] == "Riverside Tenants"


def test_a_message_with_a_problem_is_refused_as_usual(clock, colleague):
    refused = contact.send_message(colleague, clock, {**contact.VALID_MESSAGE, "message": ""})

    assert refused.status_code == 422
    assert error_messages(refused) == ["Enter your message"]
    assert banner(refused).startswith(BANNER)
    assert count(Response) == 0


def test_the_survey_keeps_answers_between_pages_and_deletes_them_when_sent(clock, colleague):
    survey.take_route(colleague, survey.OFFICER_ROUTE)
    assert [r.status for r in survey.responses()] == ["draft"]
    assert banner(colleague.get(survey.CHECK)).startswith(BANNER)

    sent = survey.send(colleague, clock)

    assert sent.status_code == 200
    assert h1_text(sent) == NOT_SENT
    said = text_of(page(sent).find("main"))
    assert survey.STORY in said
    assert "have now been deleted" in said
    assert survey.responses() == []
    assert outbox() == []
    # The browser has no draft left: the survey starts afresh.
    assert "Start now" in text_of(page(colleague.get(survey.SURVEY)))


def test_a_survey_page_with_a_problem_is_refused_as_usual(colleague):
    refused = survey.post_form(colleague, survey.page_url(1), {"q_role": None})

    assert refused.status_code == 422
    assert error_messages(refused) == ["Select one option"]
    assert survey.responses() == []


def test_email_me_a_link_sends_nothing_in_a_preview(colleague):
    saved_at = survey.save_on_page_2(colleague)
    asked = survey.post_form(colleague, saved_at, {"email": survey.RESPONDENT})

    assert redirect_path(asked) == f"{survey.SURVEY}/saved"
    told = colleague.get(f"{survey.SURVEY}/saved")
    assert h1_text(told) == "Your answers are saved"
    assert "This is a preview, so no email was sent." in text_of(page(told).find("main"))
    assert outbox() == []
    assert survey.the_response().resume_hash is None


def test_a_draft_whose_dates_have_passed_is_open_in_a_preview_and_stays_as_it_was(
    clock, colleague, draft
):
    """In a preview the draft counts as open whatever its dates; the saved setting is untouched."""
    draft.opens_at = clock.now - timedelta(days=30)
    draft.closes_at = clock.now - timedelta(days=2)
    db.session.commit()

    assert survey.answer(colleague, 1, survey.OFFICER_ROUTE[1]) == survey.page_url(3)
    sent = contact.send_message(colleague, clock, {**contact.VALID_MESSAGE, "wants_call": None})

    assert h1_text(sent) == NOT_SENT
    db.session.refresh(draft)
    assert draft.override == "auto"


def test_leaving_the_preview_ends_it_for_this_browser(colleague):
    form = page(colleague.get(PUBLIC_PAGE)).find("form", action=f"/preview/{SLUG}/leave")
    token = form.find("input", attrs={"name": "csrf_token"})["value"]

    left = colleague.post(f"/preview/{SLUG}/leave", data={"csrf_token": token})

    assert left.status_code == 303
    assert redirect_path(left) == "/"
    landed = colleague.get("/")
    assert text_of(page(landed).find(id="flashes")) == "You have left the preview."
    assert banner(landed) == ""
    assert colleague.get(PUBLIC_PAGE).status_code == 404
    assert text_of(page(colleague.get("/")).find(id="flashes")) == "", "said more than once"


def test_a_preview_is_open_for_the_rest_of_its_request_and_writes_nothing(app, draft, clock):
    """A commit in the request reloads the draft: it stays open, and the stored setting
    stays as it was."""
    with app.test_request_context(PUBLIC_PAGE):
        mark_preview(draft)
        assert draft.state(clock.now) is State.OPEN
        draft.title = "Renamed in the request"
        db.session.commit()
        assert draft.state(clock.now) is State.OPEN
    stored = db.session.execute(
        select(Consultation.__table__.c.override, Consultation.__table__.c.title)
    ).one()
    assert tuple(stored) == ("auto", "Renamed in the request")
