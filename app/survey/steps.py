"""What the survey's views share: the survey a request is about, a step shown as a page
or as the fragment htmx swaps, where each step is, and the ways out of a step."""

from __future__ import annotations

from flask import abort, make_response, redirect, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from app.consultations.lookup import get_by_slug_or_404, open_channel_or_abort
from app.extensions import htmx
from app.models import Consultation
from app.runtime import clock
from app.survey.questions import SurveyQuestion, survey_questions
from app.web.rendering import render_page


def find_survey(slug: str) -> tuple[Consultation, list[SurveyQuestion]]:
    """The consultation and its questions (read-only copies); 404 unless it offers a
    survey."""
    consultation = get_by_slug_or_404(slug)
    questions = survey_questions(consultation)
    if not questions:  # nothing to ask: say why when it is not open, else 404
        open_channel_or_abort(consultation, "survey", clock.now())
        abort(404)
    if not consultation.offers("survey"):
        abort(404)
    return consultation, list(questions)


def show_step(fragment: str, consultation: Consultation, title: str, status: int = 200, **context):
    """A survey step: the whole page, or for htmx only the part that changes."""
    return render_page(
        "survey/step.html",
        fragment=f"survey/_{fragment}.html",
        status=status,
        step=f"survey/_{fragment}.html",
        consultation=consultation,
        title=title,
        **context,
    )


def step_url(consultation: Consultation, step: str, page: int | None = None, **args) -> str:
    """The address of a step: a page of questions by its number, or a step by its name."""
    if step == "page":
        return url_for("survey.question_page", slug=consultation.slug, page=page, **args)
    return url_for(f"survey.{step}", slug=consultation.slug, **args)


def go(url: str) -> WerkzeugResponse:
    """303 to another step of the survey."""
    return redirect(url, code=303)


def leave(url: str) -> WerkzeugResponse:
    """Leave the survey for a page of the site's own (the respondent's response page).

    htmx follows a 303 itself and would swap that whole page into the survey's box, so
    it is told to load the page instead.
    """
    if htmx:
        response = make_response("", 204)
        response.headers["HX-Redirect"] = url
        return response
    return go(url)
