"""Views for the survey: start, question pages, details, check answers, confirmation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app, request, session, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from app.consultations.preview import in_preview
from app.extensions import db, limiter
from app.intake import following
from app.intake.fields import FOLLOW_LABEL
from app.intake.submissions import (
    admit,
    keep_or_stamp,
    last_sent,
    looks_automated,
    read_stamp,
    submit_rate_limit,
)
from app.models import Consultation, Question, Response
from app.runtime import clock
from app.survey import bp, change_views, changes, routing, services
from app.survey.channel import SURVEY, answer_rows
from app.survey.forms import (
    OTHER,
    OTHER_PREFIX,
    SET_ANSWER_TYPES,
    DetailsChangeForm,
    DetailsForm,
    ResumeForm,
    SaveForm,
    SubmitForm,
    choice_pairs,
    field_name,
    follow_up_fields,
    follow_up_note,
    other_name,
    page_form,
    text_limit,
)
from app.survey.steps import find_survey, go, show_step, step_url
from app.web.forms import clean_text

SENT_TO_KEY = "survey_link_sent_to"


def _pages_limit() -> str:
    return current_app.config["RATELIMIT_PAGES"]


def _earliest(*moments: datetime | None) -> datetime | None:
    known = [m for m in moments if m is not None]
    return min(known) if known else None


def _admit(
    consultation: Consultation,
    now: datetime,
    questions: list[Question],
    draft: Response | None,
    loaded_at: datetime | None = None,
    on_page: list[Question] = (),
) -> bool:
    """Let the request through while the survey takes responses; True when late.

    A survey started before the deadline (its draft, or this form if loaded earlier) may
    be carried on through the grace period. When refused, the closed page lists what
    the respondent had written, and for a change, links back to their response.
    """
    started = _earliest(draft.started_at if draft else None, loaded_at)
    # A change to a response sent: the closed page links back to the respondent's page.
    link = changes.link_for(draft.amends_id) if draft and draft.amends_id is not None else None
    return admit(
        consultation,
        "survey",
        now,
        started,
        lambda: _written(questions, draft, on_page),
        url_for("respondents.view", token=link) if link else None,
    )


def _written(
    questions: list[Question],
    draft: Response | None,
    on_page: list[Question] = (),
) -> list[tuple[str, str]]:
    """What the respondent has written so far, including what this post carries."""
    rows = (
        [(q.prompt, text) for q, text in answer_rows(questions, draft.answers) if text]
        if draft
        else []
    )
    for question in on_page:
        # Straight from the post, so cleaned as the forms clean what they read, and in
        # the words the respondent chose.
        labels = dict(choice_pairs(question)) if question.type in SET_ANSWER_TYPES else {}
        typed = [
            labels.get(value, value)
            for value in map(clean_text, request.form.getlist(field_name(question)))
            if value.strip() and value != OTHER
        ]
        other = clean_text(request.form.get(other_name(question), "")).strip()
        if other:
            typed.append(OTHER_PREFIX + other)
        if typed:
            rows.append((question.prompt, "; ".join(typed)))
    return rows


@dataclass(frozen=True)
class _Held:
    """A draft as this request read it, before trying to change it: a failed claim
    expires the draft, whose row may since have a new token, or be gone."""

    token: str
    amends_id: int | None

    @classmethod
    def of(cls, draft: Response) -> _Held:
        return cls(draft.token, draft.amends_id)


def _already_sent(consultation: Consultation, draft: Response, held: _Held) -> WerkzeugResponse:
    """The response was sent from another tab meanwhile: show its confirmation. Or its
    emailed link moved it to another browser: this one starts afresh, seeing nothing of it.
    A change to a sent response goes back to the response's page.

    In a preview nothing is sent: the draft was finished, and so deleted, in another tab.
    """
    if held.amends_id is not None:
        return change_views.not_here(consultation, held.amends_id, held.token)
    if in_preview():
        services.forget_draft(consultation)
        return go(step_url(consultation, "start"))
    db.session.refresh(draft)
    if draft.token != held.token:
        services.forget_draft(consultation)
        return go(step_url(consultation, "start"))
    services.remember_submitted(consultation, draft)
    return go(step_url(consultation, "confirmation"))


def _neutral(consultation: Consultation):
    """What a bot gets: a plain thank-you, with nothing stored."""
    return show_step("received", consultation, "Thank you")


def _progress(pages: list[int], page: int | None) -> tuple[int, int]:
    """(this step's number, how many steps) on the route: `pages`."""
    total = len(pages) + 1  # the details page comes last
    return (pages.index(page) + 1 if page in pages else total), total


@bp.get("")
def start(slug: str):
    """What the survey is about and how long it takes; start, or carry on with a draft."""
    consultation, questions = find_survey(slug)
    now = clock.now()
    draft = change_views.session_draft(consultation)
    _admit(consultation, now, questions, draft)
    step, page = services.next_step(draft, questions)
    changing = changes.amended(draft) if draft else None
    return show_step(
        "start",
        consultation,
        "Change your response" if changing else "Answer the survey",
        draft=draft,
        changing=changing,
        start_url=step_url(consultation, "page", routing.route(questions, {})[0]),
        continue_url=step_url(consultation, step, page),
        pages=len({q.page for q in questions}),
    )


@bp.route("/pages/<int:page>", methods=["GET", "POST"])
@limiter.limit(_pages_limit, methods=["POST"])
def question_page(slug: str, page: int):
    """One page of questions: those the respondent's earlier answers route them to."""
    consultation, questions = find_survey(slug)
    draft = change_views.session_draft(consultation)
    if request.method == "POST" and (ended := change_views.ended_change(consultation, draft)):
        return ended
    answers = draft.answers if draft else {}
    pages = routing.route(questions, answers)
    on_page = routing.questions_on(questions, page, routing.kept_answers(questions, answers))
    if page not in pages:  # skipped, or no such page
        # A preview opens it all the same, so that staff can see pages their answers skip.
        on_page = [q for q in questions if q.page == page] if in_preview() else []
        if not on_page:
            return _carry_on(consultation, draft, questions)
        pages = sorted({*pages, page})
    visit = _Visit(consultation, questions, draft, page, pages, on_page, clock.now())
    form = page_form(on_page, answers)
    if request.method == "GET":
        return _page(visit, form, late=_admit(consultation, visit.now, questions, draft))
    late = _admit(consultation, visit.now, questions, draft, read_stamp(form.loaded.data), on_page)
    went = _save_page(visit, form)
    return went if went is not None else _page(visit, form, late)


def _carry_on(
    consultation: Consultation,
    draft: Response | None,
    questions: list[Question],
    returning: bool = False,
):
    """303 to where the respondent carries on: the first page not done, details, or check.

    An answer changed from the check page may route them to a page they have not seen:
    `returning`, that page brings them back to the check page too.
    """
    step, where = services.next_step(draft, questions)
    back = {"return": "check"} if returning and step == "page" else {}
    return go(step_url(consultation, step, where, **back))


@dataclass(frozen=True)
class _Visit:
    """A request for one page of questions."""

    consultation: Consultation
    questions: list[Question]
    draft: Response | None
    page: int
    pages: list[int]  # the route the saved answers make
    on_page: list[Question]
    now: datetime

    @property
    def returning(self) -> bool:
        """Whether the page was opened to change an answer from the check page."""
        return request.args.get("return") == "check"


def _save_page(visit: _Visit, form):
    """Save the page sent and go on; None to show it again with its errors."""
    consultation, draft, now = visit.consultation, visit.draft, visit.now
    loaded_at = read_stamp(form.loaded.data)
    if looks_automated(form.website.data, loaded_at, now, min_seconds=0):
        return _neutral(consultation)
    valid = form.validate()
    # Saving for later does not insist on required answers, but a value that breaks a
    # rule (too long, not a number) is shown with its error rather than thrown away.
    saving = request.form.get("action") == "save" and not form.has_input_errors()
    if not (valid or saving):
        return None
    if draft is None:
        draft = services.start_draft(consultation, loaded_at or now, now)
        services.remember_draft(consultation, draft)
    held = _Held.of(draft)
    if not services.save_page(draft, visit.questions, visit.page, form.answers(), now, valid):
        return _already_sent(consultation, draft, held)
    if saving:
        return go(step_url(consultation, "save"))
    following = routing.next_page(routing.route(visit.questions, draft.answers), visit.page)
    if visit.returning or following is None:
        return _carry_on(consultation, draft, visit.questions, visit.returning)
    return go(step_url(consultation, "page", following))


def _page(visit: _Visit, form, late: bool):
    """The page of questions, with any errors of the form sent."""
    consultation, page, on_page = visit.consultation, visit.page, visit.on_page
    keep_or_stamp(form.loaded, visit.now)
    _mark_change(form, visit.draft)
    position, total = _progress(visit.pages, page)
    previous = routing.previous_page(visit.pages, page)
    if visit.returning:
        back_url = step_url(consultation, "check")
    elif previous:
        back_url = step_url(consultation, "page", previous)
    else:
        back_url = step_url(consultation, "start")
    return show_step(
        "page",
        consultation,
        on_page[0].page_title or f"Page {position}",
        status=422 if form.errors else 200,
        form=form,
        questions=on_page,
        limits={q.key: text_limit(q) for q in on_page},
        notes={q.key: follow_up_note(q, on_page) for q in on_page},
        reveal={q.key: follow_up_fields(q, on_page) for q in on_page},
        position=position,
        total=total,
        late=late,
        # A change is carried on from the respondent's link, so it is not saved for later.
        may_save=visit.draft is None or visit.draft.amends_id is None,
        action=step_url(
            consultation, "page", page, **({"return": "check"} if visit.returning else {})
        ),
        back_url=back_url,
    )


def _mark_change(form, draft: Response | None) -> None:
    """A page of a change carries its draft's token, to tell once the change has ended."""
    if draft is not None and draft.amends_id is not None:
        form.change_draft.data = draft.token


@bp.route("/details", methods=["GET", "POST"])
@limiter.limit(_pages_limit, methods=["POST"])
def details(slug: str):
    """Who is responding, whether we may publish it, and consent to keep it."""
    consultation, questions = find_survey(slug)
    now = clock.now()
    draft = change_views.session_draft(consultation)
    if request.method == "POST" and (ended := change_views.ended_change(consultation, draft)):
        return ended
    if draft is None:
        return go(step_url(consultation, "start"))
    form_class = DetailsForm if draft.amends_id is None else DetailsChangeForm
    form = form_class(obj=draft if request.method == "GET" else None)
    following.offer(form, consultation)
    offers_news = "follow" in form
    if offers_news and request.method == "GET":
        form.follow.data = following.kept_choice(consultation, draft.token)
    late = _admit(consultation, now, questions, draft)
    if request.method == "POST":
        if looks_automated(form.website.data, read_stamp(form.loaded.data), now, min_seconds=0):
            return _neutral(consultation)
        if form.validate():
            held = _Held.of(draft)
            if not services.save_details(draft, form.data, now):
                return _already_sent(consultation, draft, held)
            if offers_news:  # asked for once the response is sent
                following.keep_choice(consultation, held.token, following.ticked(form))
            return _carry_on(consultation, draft, questions)
    keep_or_stamp(form.loaded, now)
    _mark_change(form, draft)
    pages = routing.route(questions, draft.answers)
    position, total = _progress(pages, None)
    return show_step(
        "details",
        consultation,
        "About you and your response",
        status=422 if form.errors else 200,
        form=form,
        position=position,
        total=total,
        late=late,
        back_url=step_url(consultation, "page", pages[-1]) if pages else None,
    )


@bp.route("/check", methods=["GET", "POST"])
@limiter.limit(submit_rate_limit, methods=["POST"])
def check(slug: str):
    """Check your answers, change any, then send. Sending twice makes one response."""
    consultation, questions = find_survey(slug)
    form = SubmitForm()
    if request.method == "POST":
        draft = services.find_by_token(consultation, form.token.data or "")
        if draft is not None and draft.is_submitted:  # a second tap, a refresh, or Back
            services.remember_submitted(consultation, draft)
            return go(step_url(consultation, "confirmation"))
        if draft is None and (sent := change_views.sent_before(consultation, form)):
            return sent
    else:
        draft = change_views.session_draft(consultation)
    if draft is None:
        return go(step_url(consultation, "start"))
    if services.next_step(draft, questions)[0] != "check":
        return _carry_on(consultation, draft, questions)
    if request.method == "POST":
        return _send(consultation, questions, draft, form, clock.now())
    return _check_page(consultation, questions, draft, form, clock.now())


def _send(consultation: Consultation, questions: list[Question], draft: Response, form, now):
    """Send the checked response, once."""
    loaded_at = read_stamp(form.loaded.data)
    late = _admit(consultation, now, questions, draft, loaded_at)
    # A change begins from the respondent's private link, which no bot has: sending it
    # straight away ("I only wanted to look") is a person's doing.
    quickest = 0 if draft.amends_id is not None else None
    started = draft.started_at if loaded_at else None
    if looks_automated(form.website.data, started, now, min_seconds=quickest):
        return _neutral(consultation)
    if in_preview():
        return _not_sent_in_preview(consultation, questions, draft)
    if draft.amends_id is not None:
        return change_views.send_change(consultation, questions, draft, now, late)
    held = _Held.of(draft)
    follows = following.kept_choice(consultation, held.token)
    if not services.submit(consultation, draft, questions, now, late=late, following=follows):
        return _already_sent(consultation, draft, held)
    services.remember_submitted(consultation, draft)
    # Made first: signing up commits again, which would reload the consultation for it.
    sent = go(step_url(consultation, "confirmation"))
    if follows:
        following.forget_choice(consultation)
        following.follow(SURVEY, consultation, draft, now)
    return sent


def _not_sent_in_preview(consultation: Consultation, questions: list[Question], draft: Response):
    """A preview sends nothing: the draft goes, and the page says what would have happened."""
    typed = [(q.prompt, text) for q, text in answer_rows(questions, draft.answers) if text]
    context = {"email": draft.email, "typed": typed + SURVEY.detail_rows(draft)}
    follows = following.kept_choice(consultation, draft.token)
    following.forget_choice(consultation)
    services.discard_draft(consultation, draft)
    return show_step(
        "preview_sent",
        consultation,
        "This is a preview: your response was not sent",
        again_url=step_url(consultation, "start"),
        also=[following.PREVIEW_NOTE] if follows else [],
        **context,
    )


def _check_page(consultation: Consultation, questions: list[Question], draft: Response, form, now):
    """Every answer and detail, each with a link to change it, and the button to send."""
    late = _admit(consultation, now, questions, draft)
    rows = answer_rows(questions, draft.answers)
    form.token.data = draft.token
    keep_or_stamp(form.loaded, now)
    changing = changes.amended(draft)
    back_url = step_url(consultation, "details")
    if changing is not None:
        form.changing.data, form.version.data = str(changing.id), str(draft.version)
        link = changes.link_for(changing.id)
        back_url = url_for("respondents.view", token=link) if link else None
    details = SURVEY.detail_rows(draft)
    follows = changing is None and following.kept_choice(consultation, draft.token)
    if changing is None:  # by the email address, as the details page asks it
        after_email = [label for label, _value in details].index("Email address") + 1
        details.insert(after_email, (FOLLOW_LABEL, "Yes" if follows else "No"))
    return show_step(
        "check",
        consultation,
        "Check your changes before sending them"
        if changing
        else "Check your answers before sending them",
        form=form,
        questions=[q for q, _text in rows],
        answers=[(q.prompt, text or "Not answered") for q, text in rows],
        details=details,
        following=follows,
        draft_email=draft.email,
        changing=changing,
        late=late,
        back_url=back_url,
    )


@bp.get("/confirmation")
def confirmation(slug: str):
    """Response sent: the reference, and whether a receipt is on its way."""
    consultation, _questions = find_survey(slug)
    response = last_sent(consultation, "survey")
    if response is None:
        return go(step_url(consultation, "start"))
    return show_step(
        "confirmation",
        consultation,
        "Response sent",
        response=response,
        following=following.asked(response),
    )


@bp.route("/save", methods=["GET", "POST"])
@limiter.limit(submit_rate_limit, methods=["POST"])
def save(slug: str):
    """Answers are saved on this device; email a link to carry on from any device."""
    consultation, questions = find_survey(slug)
    now = clock.now()
    draft = change_views.session_draft(consultation)
    if draft is None:
        return go(step_url(consultation, "start"))
    if draft.amends_id is not None:  # carried on from the respondent's link instead
        return _carry_on(consultation, draft, questions)
    form = SaveForm(data={"email": draft.email} if request.method == "GET" else None)
    _admit(consultation, now, questions, draft)
    if request.method == "POST":
        if looks_automated(form.website.data, read_stamp(form.loaded.data), now, min_seconds=0):
            return _neutral(consultation)
        if form.validate():
            held = _Held.of(draft)
            # A preview emails no one: the next page says so.
            if in_preview() is None and not services.send_resume_link(
                consultation, draft, form.email.data, now
            ):
                return _already_sent(consultation, draft, held)
            session[SENT_TO_KEY] = form.email.data
            return go(step_url(consultation, "saved"))
    keep_or_stamp(form.loaded, now)
    step, where = services.next_step(draft, questions)
    return show_step(
        "save",
        consultation,
        "Your answers are saved",
        status=422 if form.errors else 200,
        form=form,
        continue_url=step_url(consultation, step, where),
    )


@bp.get("/saved")
def saved(slug: str):
    """The link to carry on is on its way."""
    consultation, questions = find_survey(slug)
    draft = change_views.session_draft(consultation)
    if draft is None or draft.amends_id is not None:
        return go(step_url(consultation, "start"))
    step, where = services.next_step(draft, questions)
    return show_step(
        "saved",
        consultation,
        "Check your email" if in_preview() is None else "Your answers are saved",
        sent_to=session.get(SENT_TO_KEY, ""),
        continue_url=step_url(consultation, step, where),
    )


@bp.route("/resume/<token>", methods=["GET", "POST"])
@limiter.limit(_pages_limit, methods=["POST"])
def resume(slug: str, token: str):
    """The emailed link: asks before moving the draft to this browser, then carries on.

    Opening the link (a GET) changes nothing and shows nothing of the draft: mail
    scanners follow links. The button moves the draft here and spends the link, so
    whoever holds the link, or the browser that asked for it, cannot see what is typed
    next. Carrying on somewhere else takes a new link.
    """
    consultation, questions = find_survey(slug)
    now = clock.now()
    draft = services.find_by_link(consultation, token)
    if draft is None:
        return _link_spent(consultation)
    # Closed: the closed page, without the answers, which are not yet this browser's.
    late = admit(consultation, "survey", now, draft.started_at)
    here = services.draft_from_session(consultation)
    form = ResumeForm()
    if request.method == "POST" and form.validate():
        draft = services.take_over(consultation, token, now)
        if draft is None:  # opened in another browser a moment ago
            return _link_spent(consultation)
        changes.end(consultation)  # the saved survey replaces any change in progress here
        services.remember_draft(consultation, draft)
    elif here is None or here.id != draft.id:
        return show_step(
            "resume",
            consultation,
            "Continue the survey you saved?",
            form=form,
            replaces=here is not None,
            late=late,
            action=url_for("survey.resume", slug=consultation.slug, token=token),
        )
    # Moved here now, or this browser had it already (the link is then kept for elsewhere).
    return _carry_on(consultation, draft, questions)


def _link_spent(consultation: Consultation):
    """A link that was used, replaced by a newer one, or never existed: how to carry on."""
    return show_step(
        "link_used",
        consultation,
        "This link has been used or has expired",
        status=404,
        start_url=step_url(consultation, "start"),
    )
