"""Views for changing a sent survey response: opening the change from the respondent's
page, and what sending it comes to. The survey's own steps (routes.py) do the rest, on
the change draft (changes.py)."""

from __future__ import annotations

from datetime import datetime

from flask import abort, flash, make_response, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from app.intake import links
from app.intake.changes import Outcome
from app.models import Consultation, Question, Response
from app.runtime import clock
from app.survey import bp, changes, services
from app.survey.channel import SURVEY, answer_rows
from app.survey.forms import CHANGE_DRAFT
from app.survey.steps import find_survey, go, leave, show_step, step_url
from app.web.rendering import whole_page_for_htmx

SENT = "Your changes have been sent."
RECEIPT = " We have emailed you a receipt."
UNCHANGED = "You did not change anything."
NOT_HERE = (
    "These changes are no longer open in this window, because your response was opened"
    " to change in another tab or on another device."
)


@bp.get("/change/<token>")
def change(slug: str, token: str):
    """Change a sent response: a change draft of it, opened at the check page.

    `token` is the respondent's link. Opening the change again carries on with the
    change draft, which no other browser can then see.
    """
    consultation, questions = find_survey(slug)
    response = SURVEY.sent_by_link(consultation, token)
    if response is None:
        return _not_working()
    now = clock.now()
    if not SURVEY.takes_changes(consultation, now):
        return go(url_for("respondents.view", token=token))  # which says why not
    response_id = response.id
    draft_token = changes.open_change(response, questions, now)
    if draft_token is None:
        return _not_working()
    changes.remember(consultation, draft_token, response_id, token)
    return go(step_url(consultation, "check"))


def session_draft(consultation: Consultation) -> Response | None:
    """This browser's draft. When the change it was making has gone (opened on another
    device, or its response withdrawn), the request stops at the response's page; when
    the link it came by no longer works, at the page saying so."""
    draft = services.draft_from_session(consultation)
    changing = changes.in_progress(consultation)
    if draft is None and changing is not None:
        abort(not_here(consultation, *changing))
    if draft is not None and draft.amends_id is not None and not changes.working_link(draft):
        abort(_link_ended(consultation, draft))
    return draft


def _link_ended(consultation: Consultation, draft: Response):
    """The link the change began with was replaced: whoever had it sees no more of the
    response, and nothing they typed reaches the respondent's own next change."""
    changes.discard(consultation, draft)
    return _not_working()


def not_here(consultation: Consultation, response_id: int, token: str) -> WerkzeugResponse:
    """The change draft with `token` is no longer this browser's: the response's page."""
    link = changes.link_for(response_id)
    changes.end(consultation, token)
    if link is None:
        return go(step_url(consultation, "start"))
    if links.find(link) is None:
        return _not_working()
    flash(NOT_HERE, "warning")
    return leave(url_for("respondents.view", token=link))


def send_change(
    consultation: Consultation,
    questions: list[Question],
    draft: Response,
    now: datetime,
    late: bool,
):
    """Send the change from the check page, once, and show what became of it."""
    link = changes.working_link(draft)
    if link is None:
        return _link_ended(consultation, draft)
    response_id, token, email = draft.amends_id, draft.token, draft.email
    typed = _typed(questions, draft)
    outcome = changes.send(draft, questions, link, now, late)
    if outcome is None:
        return not_here(consultation, response_id, token)
    changes.end(consultation, token)
    if outcome is Outcome.GONE:
        return _not_working()
    if outcome is Outcome.CONFLICT:
        return _conflict(consultation, link, typed)
    if outcome is Outcome.CHANGED:
        flash(SENT + (RECEIPT if email else ""), "success")
    elif outcome is Outcome.UNCHANGED:
        flash(UNCHANGED, "success")
    return leave(url_for("respondents.view", token=link))


def sent_before(consultation: Consultation, form) -> WerkzeugResponse | None:
    """A change sent from a check page whose draft has gone: sent by this very form
    already (two taps, a refresh), overtaken by a change made elsewhere, or moved to
    another device; or ended here before, when the browser no longer holds the link.
    None when the form was not a change's."""
    token = form.token.data or ""
    done = changes.made_by(consultation, token)
    if done is not None:
        # Sent by this very form: a second tap still holds the link, a later refresh not.
        link = changes.link_for(done.id)
        changes.end(consultation, token)
        if link is None:
            return go(step_url(consultation, "change_sent"))
        return leave(url_for("respondents.view", token=link))
    response_id, version = _number(form.changing.data), _number(form.version.data)
    if response_id is None or version is None:
        return None
    link = changes.link_for(response_id)
    changes.end(consultation, token)
    if link is None:  # the change ended in this browser: never a new response
        return go(step_url(consultation, "change_ended"))
    response = links.find(link)
    if response is None or response.id != response_id:
        return _not_working()
    if response.version != version:
        return _conflict(consultation, link, [])
    flash(NOT_HERE, "warning")
    return leave(url_for("respondents.view", token=link))


def ended_change(consultation: Consultation, draft: Response | None) -> WerkzeugResponse | None:
    """A question or details page of a change, sent once the change has ended in this
    browser: kept in a tab while another sent it, or shown again by Back after sending.

    Saved now, it would begin a new response, or land in one in progress here. So it
    goes to a page saying the changes were sent, or that they are no longer open. None
    when the post was not a change's, or this browser is still making a change.
    """
    token = request.form.get(CHANGE_DRAFT, "")
    if not token or (draft is not None and draft.amends_id is not None):
        return None
    sent = changes.made_by(consultation, token) is not None
    return go(step_url(consultation, "change_sent" if sent else "change_ended"))


@bp.get("/change-sent")
def change_sent(slug: str):
    """Changes already sent, and a form of theirs sent again: how to see the response."""
    consultation, _questions = find_survey(slug)
    return show_step("change_ended", consultation, "You have already sent these changes", sent=True)


@bp.get("/change-ended")
def change_ended(slug: str):
    """A form of changes that ended without being sent from it: how to carry on."""
    consultation, _questions = find_survey(slug)
    return show_step("change_ended", consultation, "These changes are no longer open", sent=False)


def _conflict(consultation: Consultation, link: str, typed: list[tuple[str, str]]):
    """The response changed elsewhere after this change began: it was not sent (409)."""
    return show_step(
        "conflict",
        consultation,
        "Your response was changed somewhere else",
        status=409,
        typed=typed,
        again_url=url_for("survey.change", slug=consultation.slug, token=link),
        response_url=url_for("respondents.view", token=link),
    )


def _typed(questions: list[Question], draft: Response) -> list[tuple[str, str]]:
    """What the change draft reads, for the respondent to copy when it cannot be sent."""
    rows = [(q.prompt, text) for q, text in answer_rows(questions, draft.answers) if text]
    return rows + SURVEY.detail_rows(draft)


def _number(value: str | None) -> int | None:
    return int(value) if value and value.isascii() and value.isdigit() and len(value) < 12 else None


def _not_working():
    """The page for a link that opens nothing (404), as a whole page for htmx too."""
    return whole_page_for_htmx(make_response(links.not_working()))
