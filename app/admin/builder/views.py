"""The survey builder's pages: the survey with its routes and problems, a question added
or changed, moved or deleted, and a page renamed, moved or deleted.

Every change goes the same way (`_apply`): an action of app.survey.edits works out the
new survey or refuses; a structural change to a survey people have answered first shows
what it touches and asks to be confirmed; then the questions are saved, audited, and a
new survey version is recorded by the same commit (app.survey.versions). Officers may
look; only admins change anything.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from types import SimpleNamespace
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from app.admin import bp
from app.admin.auth import admin_only
from app.admin.builder import services
from app.admin.builder.forms import (
    NEW_PAGE,
    PageForm,
    QuestionForm,
    SurveyActionForm,
    question_values,
)
from app.consultations import preview
from app.consultations.lookup import get_for_staff_or_404
from app.extensions import htmx
from app.models import Consultation
from app.survey import change_kinds, edits, route_checks, route_words, survey_fields, survey_parts
from app.survey.forms import choice_pairs
from app.web.forms import clean_text

SURVEY = "/consultations/<slug>/survey"
QUESTION = SURVEY + "/questions/<key>"
PAGE = SURVEY + "/pages/<int:page>"
# What a replayed form must not carry twice: the page adds its own.
NOT_REPLAYED = {"csrf_token", "confirmed"}
STAMP = re.compile(r"-?[0-9]{1,20}")  # a questions_stamp, as a form sends it back
TAKEN_OUT = "A question taken out of the survey used this column. Enter a different one"
STALE = (
    "Someone else changed the survey while you were working on it. Check it and make your"
    " change again."
)


@dataclass(frozen=True)
class Made:
    """A change as the audit log keeps it (what was done, to what, before and after),
    and where on the survey's page to show it afterwards."""

    what: str
    before: Any
    after: Callable[[dict | None], Any]  # the changed thing, found in the new survey
    anchor: str | None = None


def _questions(survey: dict | None) -> list[tuple[int, dict]]:
    return [
        (number, question)
        for number, page in enumerate((survey or {}).get("pages", []), start=1)
        for question in page["questions"]
    ]


def _question_or_404(survey: dict | None, key: str) -> tuple[int, dict]:
    for number, question in _questions(survey):
        if question["key"] == key:
            return number, question
    abort(404)


def _page_or_404(survey: dict | None, page: int) -> dict:
    pages = (survey or {}).get("pages", [])
    if not 1 <= page <= len(pages):
        abort(404)
    return pages[page - 1]


def _overview(consultation: Consultation, anchor: str | None = None):
    url = url_for("admin.survey_builder", slug=consultation.slug)
    return redirect(f"{url}#{anchor}" if anchor else url, code=303)


@bp.get(SURVEY)
def survey_builder(slug: str):
    """The survey page by page, its routes in words, and what is wrong with it."""
    consultation = get_for_staff_or_404(slug)
    survey = services.survey_of(consultation)
    return render_template(
        "admin/builder/survey.html",
        consultation=consultation,
        survey=survey,
        routes=route_checks.route_map(survey).sentences() if survey else [],
        problems=route_checks.problems(survey) if survey else [],
        action_form=_stamped(SurveyActionForm(), consultation),
        type_names=survey_parts.TYPE_NAMES,
        shown_to=_shown_to(survey),
        answered=services.answered(consultation),
    )


def _shown_to(survey: dict | None) -> dict[str, str]:
    """Who sees each question that not everyone sees, in words, by its key."""
    prompts = {q["key"]: q for _n, q in _questions(survey)}
    said = {}
    for _number, question in _questions(survey):
        clauses = [
            route_words.Condition(
                key,
                f"'{prompts[key]['prompt']}'" if key in prompts else "a question no longer there",
                prompts[key]["type"] if key in prompts else "single",
                picked=tuple(values),
                either=True,
            ).words()
            for key, values in question.get("show_if", {}).items()
        ]
        if clauses:
            said[question["key"]] = f"Shown only to people who {' and who '.join(clauses)}."
    return said


@bp.post(SURVEY + "/preview")
def survey_preview(slug: str):
    """Try the survey as a respondent, from any page: a preview stores and emails nothing.

    Staff see a draft as a preview anyway; a published survey is previewed in this
    browser until they leave the preview."""
    consultation = get_for_staff_or_404(slug)
    if not consultation.is_draft:
        preview.start_staff_preview(consultation)
    page = request.form.get("page", type=int)
    pages = len((services.survey_of(consultation) or {}).get("pages", []))
    if page is not None and 1 <= page <= pages:
        return redirect(url_for("survey.question_page", slug=slug, page=page), code=303)
    return redirect(url_for("survey.start", slug=slug), code=303)


# --- questions ----------------------------------------------------------------------------


def _page_number(survey: dict | None, chosen: str | None) -> int | None:
    """The number of the survey's page a form chose; None for a new page, or junk."""
    return {number: int(number) for number, _title in _page_choices(survey)}.get(chosen)


def _page_choices(survey: dict | None) -> list[tuple[str, str]]:
    return [
        (str(number), f"Page {number}: {page['title']}")
        for number, page in enumerate((survey or {}).get("pages", []), start=1)
    ]


def _deciders(survey: dict | None, before: str | None, page: int | None) -> list[dict]:
    """The questions a condition may name: those that route and come earlier."""
    found = []
    for number, question in _questions(survey):
        if question["key"] == before or (page is not None and number > page):
            break
        if edits.answers_to(question) is not None:
            found.append(question)
    return found


def _answer_labels(question: dict) -> list[tuple[str, str]]:
    """(answer, label) for each answer a condition may name, labelled as respondents see
    them ("1 – Strongly disagree")."""
    offered = edits.answers_to(question) or ()
    as_asked = SimpleNamespace(
        type=question["type"],
        options=question.get("options", []),
        settings={"scale": question.get("scale")},
    )
    labels = dict(choice_pairs(as_asked))
    return [(value, labels.get(value, value)) for value in offered]


def _condition(deciders: list[dict]) -> dict[str, list[str]]:
    """The answers ticked under each question that may decide, as a show_if."""
    return {
        decider["key"]: ticked
        for decider in deciders
        if (ticked := [clean_text(v) for v in request.form.getlist(f"show_if-{decider['key']}")])
    }


def _question_page(
    consultation, survey, form, deciders, shown_if, question=None, locked=False, status=200
):
    return (
        render_template(
            "admin/builder/question.html",
            consultation=consultation,
            form=form,
            question=question,
            deciders=deciders,
            shown_if=shown_if,
            answer_labels=_answer_labels,
            locked=locked,  # the question's column is fixed: people have answered it
        ),
        422 if form.errors or form.form_errors else status,
    )


@bp.route(SURVEY + "/questions/new", methods=["GET", "POST"])
@admin_only
def survey_question_new(slug: str):
    """Add a question to a page, or on a new page."""
    consultation = get_for_staff_or_404(slug)
    survey = services.survey_of(consultation)
    form = _stamped(QuestionForm(_page_choices(survey)), consultation)
    if request.method == "GET":
        form.page.data = request.args.get("page", NEW_PAGE)
        form.type.data = None
    chosen = _page_number(survey, form.page.data)
    deciders = _deciders(survey, None, chosen)
    shown_if = _condition(deciders) if request.method == "POST" else {}
    if form.validate_on_submit():
        fields = form.fields()
        taken = services.keys_ever(consultation)
        fields.setdefault("key", survey_fields.key_for(form.prompt.data, taken))
        added = edits.add_question(survey, fields, chosen, form.new_page_title.data)
        if fields["key"] in taken - {q["key"] for _n, q in _questions(survey)}:
            added = edits.Refused(TAKEN_OUT, "key")
        if isinstance(added, edits.Edited) and shown_if:
            added = _with_notes(edits.set_condition(added.survey, fields["key"], shown_if), added)
        if _checking():
            return _checks(survey, added)
        key = fields["key"]
        made = Made(f"Added the question '{form.prompt.data}'.", None, _finder(key), key)
        went = _apply(consultation, survey, added, form, made)
        if went is not None:
            return went
    elif _checking():
        return _checks(survey, None)
    return _question_page(consultation, survey, form, deciders, shown_if)


@bp.route(QUESTION, methods=["GET", "POST"])
@admin_only
def survey_question_edit(slug: str, key: str):
    """Change a question: its words, type, settings, page and who sees it."""
    consultation = get_for_staff_or_404(slug)
    survey = services.survey_of(consultation)
    number, question = _question_or_404(survey, key)
    shown = question_values(question, number) if request.method == "GET" else None
    form = _stamped(QuestionForm(_page_choices(survey), data=shown), consultation)
    deciders = _deciders(survey, key, None)
    shown_if = (
        _condition(deciders) if request.method == "POST" else dict(question.get("show_if", {}))
    )
    locked = services.answered(consultation)
    if locked:
        form.key.data = ""  # not on the form: it names the answers' column now
    if form.validate_on_submit():
        fields = form.fields()
        changed = edits.edit_question(survey, key, fields)
        new_key = fields.get("key") or key
        if isinstance(changed, edits.Edited) and form.page.data not in (str(number), NEW_PAGE):
            changed = _with_notes(
                edits.move_question_to_page(changed.survey, new_key, int(form.page.data)), changed
            )
        if isinstance(changed, edits.Edited):
            changed = _with_notes(edits.set_condition(changed.survey, new_key, shown_if), changed)
        if _checking():
            return _checks(survey, changed)
        made = Made(f"Changed the question '{question['prompt']}'.", question, _finder(new_key))
        went = _apply(consultation, survey, changed, form, replace(made, anchor=new_key))
        if went is not None:
            return went
    elif _checking():
        return _checks(survey, None)
    return _question_page(consultation, survey, form, deciders, shown_if, question, locked)


def _checking() -> bool:
    """Whether htmx is asking what the form would do if saved now, as the admin works."""
    return bool(htmx) and request.form.get("check") == "yes"


def _checks(survey: dict | None, outcome: edits.Outcome | None):
    """What saving the question form now would do: the survey's routes and problems
    afterwards, or why it cannot be saved. Nothing is saved."""
    edited = outcome.survey if isinstance(outcome, edits.Edited) else None
    return render_template(
        "admin/builder/_checks.html",
        outcome=outcome,
        change=change_kinds.classify(survey, edited) if edited is not None else None,
        routes=route_checks.route_map(edited).sentences() if edited else [],
        problems=route_checks.problems(edited) if edited else [],
    )


def _finder(key: str) -> Callable[[dict | None], dict | None]:
    """What finds the question with this key in a survey, for the audit log's "after"."""
    return lambda survey: next((q for _n, q in _questions(survey) if q["key"] == key), None)


def _gone(_survey: dict | None) -> None:
    return None


def _with_notes(outcome: edits.Outcome, earlier: edits.Edited) -> edits.Outcome:
    """An action taken after another, with the notes of both."""
    if isinstance(outcome, edits.Refused):
        return outcome
    return edits.Edited(outcome.survey, earlier.notes + outcome.notes)


@bp.post(QUESTION + "/move")
@admin_only
def survey_question_move(slug: str, key: str):
    """Move a question up or down its page: a button, no confirming needed."""
    consultation = get_for_staff_or_404(slug)
    survey = services.survey_of(consultation)
    _number, question = _question_or_404(survey, key)
    direction = request.form.get("direction")
    moved = edits.move_question(survey, key, direction)
    made = Made(f"Moved the question '{question['prompt']}' {direction}.", question, _finder(key))
    return _apply(consultation, survey, moved, SurveyActionForm(), replace(made, anchor=key))


@bp.route(QUESTION + "/delete", methods=["GET", "POST"])
@admin_only
def survey_question_delete(slug: str, key: str):
    """Ask, saying what else the deletion does, then delete the question."""
    consultation = get_for_staff_or_404(slug)
    survey = services.survey_of(consultation)
    _number, question = _question_or_404(survey, key)
    deleted = edits.delete_question(survey, key)
    form = _stamped(SurveyActionForm(), consultation)
    if request.method == "POST" and form.validate():
        made = Made(f"Deleted the question '{question['prompt']}'.", question, _gone)
        return _apply(consultation, survey, deleted, form, made, asked=True)
    title = f"Delete the question '{question['prompt']}'?"
    return _confirm_page(consultation, survey, deleted, form, title, "Delete the question")


# --- pages --------------------------------------------------------------------------------


@bp.route(PAGE, methods=["GET", "POST"])
@admin_only
def survey_page_edit(slug: str, page: int):
    """Give a page a new title."""
    consultation = get_for_staff_or_404(slug)
    survey = services.survey_of(consultation)
    current = _page_or_404(survey, page)
    shown = {"title": current["title"]} if request.method == "GET" else None
    form = _stamped(PageForm(data=shown), consultation)
    if form.validate_on_submit():
        renamed = edits.rename_page(survey, page, form.title.data)
        made = Made(f"Renamed page {page}.", current["title"], _title_of(page), f"page-{page}")
        went = _apply(consultation, survey, renamed, form, made)
        if went is not None:
            return went
    status = 422 if form.errors or form.form_errors else 200
    shown = render_template(
        "admin/builder/page.html", consultation=consultation, form=form, page=page
    )
    return shown, status


def _title_of(page: int) -> Callable[[dict | None], str | None]:
    return lambda survey: survey["pages"][page - 1]["title"] if survey else None


@bp.post(PAGE + "/move")
@admin_only
def survey_page_move(slug: str, page: int):
    """Move a page, with its questions, up or down the survey."""
    consultation = get_for_staff_or_404(slug)
    survey = services.survey_of(consultation)
    current = _page_or_404(survey, page)
    direction = request.form.get("direction")
    moved = edits.move_page(survey, page, direction)
    to = page - 1 if direction == "up" else page + 1
    made = Made(f"Moved page {page}, '{current['title']}', {direction}.", page, lambda _s: to)
    return _apply(
        consultation, survey, moved, SurveyActionForm(), replace(made, anchor=f"page-{to}")
    )


@bp.route(PAGE + "/delete", methods=["GET", "POST"])
@admin_only
def survey_page_delete(slug: str, page: int):
    """Ask, saying what else the deletion does, then delete the page and its questions."""
    consultation = get_for_staff_or_404(slug)
    survey = services.survey_of(consultation)
    current = _page_or_404(survey, page)
    deleted = edits.delete_page(survey, page)
    form = _stamped(SurveyActionForm(), consultation)
    if request.method == "POST" and form.validate():
        made = Made(f"Deleted page {page}, '{current['title']}'.", current, _gone)
        return _apply(consultation, survey, deleted, form, made, asked=True)
    title = f"Delete page {page}, '{current['title']}'?"
    questions = current["questions"]
    return _confirm_page(consultation, survey, deleted, form, title, "Delete the page", questions)


# --- one way for every change -------------------------------------------------------------


def _apply(
    consultation: Consultation,
    survey: dict | None,
    outcome: edits.Outcome,
    form,
    made: Made,
    asked: bool = False,
):
    """Save a change worked out by an action, once it may be made; or say why not.

    A refusal goes on the form by its field (None: the caller shows the form again), or,
    for a button, as a message over the survey. A change with notes, or a structural
    change to a survey people have answered, is first shown with what it does and made
    only once confirmed; `asked`: the page that sent it has already shown that.
    """
    anchor = made.anchor
    if isinstance(outcome, edits.Refused):
        if isinstance(form, SurveyActionForm):
            flash(outcome.message, "error")
            return _overview(consultation, anchor)
        form.refused(outcome.field, outcome.message)
        return None
    change = change_kinds.classify(survey, outcome.survey)
    if not change.changed:
        flash("Nothing was changed.", "success")
        return _overview(consultation, anchor)
    confirmed = asked or form.confirmed.data == "yes"
    impact = services.impact(consultation, survey, outcome.survey)
    if not confirmed and (outcome.notes or (change.structural and impact.anyone)):
        return _confirm_page(
            consultation, survey, outcome, form, "Check this change", "Make this change",
            change=change, impact=impact, replay=True,
        )  # fmt: skip
    detail = services.Detail(made.what, made.before, made.after(outcome.survey))
    try:
        services.save(consultation, outcome.survey, _loaded(form), current_user.email, detail)
    except services.Stale:
        flash(STALE, "error")
        return _overview(consultation, anchor)
    flash(_saved_message(change), "success")
    return _overview(consultation, anchor)


def _stamped(form, consultation: Consultation):
    """The form, carrying the questions' stamp when its page is drawn afresh. A form
    sent keeps the stamp it was drawn with, or none: then it counts as out of date."""
    if request.method == "GET":
        form.loaded.data = str(consultation.questions_stamp)
    return form


def _loaded(form) -> int | None:
    """The stamp the form was drawn with, or None when it sent none that could be one."""
    text = form.loaded.data or ""
    return int(text) if STAMP.fullmatch(text) else None


def _saved_message(change: change_kinds.Change) -> str:
    if change.structural:
        return "The survey is changed. People who start it now answer the new version."
    return "Your change is saved."


def _confirm_page(
    consultation,
    survey,
    outcome,
    form,
    title,
    button,
    change=None,
    impact=None,
    replay=False,
    questions=(),
):
    """What a change does, before it is made: its refusal, its notes, what it touches."""
    if isinstance(outcome, edits.Edited) and change is None:
        change = change_kinds.classify(survey, outcome.survey)
        impact = services.impact(consultation, survey, outcome.survey)
    replayed = (
        MultiDict(
            (name, clean_text(value))  # as the forms read it: what a page may hold
            for name, value in request.form.items(multi=True)
            if name not in NOT_REPLAYED
        )
        if replay
        else MultiDict({"loaded": str(consultation.questions_stamp)})
    )
    return render_template(
        "admin/builder/confirm.html",
        consultation=consultation,
        title=title,
        button=button,
        outcome=outcome,
        refused=outcome if isinstance(outcome, edits.Refused) else None,
        change=change,
        impact=impact,
        replayed=replayed,
        questions=questions,
        action_form=form,
    )
