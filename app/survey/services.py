"""Survey drafts: saving pages as people go, finding a draft again, and submitting it."""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import cache
from typing import Any

from flask import session
from sqlalchemy import Select, Update, bindparam, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from app.consultations.preview import in_preview
from app.extensions import db
from app.intake import search
from app.intake.submissions import TOKEN_SHAPE, new_reference, new_token, remember_sent
from app.mail.compose import site_url
from app.mail.outbox import address, queue_email
from app.models import DRAFT, SUBMITTED, Consultation, Question, Response
from app.survey import changes, results, routing
from app.survey.channel import RESPOND_AS as RESPOND_AS  # the admin's export reads it here
from app.survey.channel import SURVEY

CHANNEL = SURVEY.name
DRAFTS_KEY = "survey_drafts"


def draft_from_session(consultation: Consultation) -> Response | None:
    """This browser's unfinished draft for the consultation, if it has one: the change it
    is making to a sent response, or else a new response."""
    changing = changes.in_progress(consultation)
    token = changing[1] if changing else session.get(DRAFTS_KEY, {}).get(str(consultation.id))
    return find_by_token(consultation, token, status=DRAFT) if token else None


def find_by_token(consultation: Consultation, token: str, status: str | None = None):
    """The survey response this secret token belongs to, if any."""
    values = {"consultation_id": consultation.id, "token": token}
    if status is not None:
        values["status"] = status
    return db.session.scalar(_by_token(with_status=status is not None), values)


@cache
def _by_token(with_status: bool) -> Select:
    """The query of every survey request, built once: building it cost more than running it."""
    query = select(Response).where(
        Response.consultation_id == bindparam("consultation_id"),
        Response.channel == CHANNEL,
        Response.token == bindparam("token"),
    )
    return query.where(Response.status == bindparam("status")) if with_status else query


def remember_draft(consultation: Consultation, draft: Response) -> None:
    """Keep the draft's token in the session cookie, so this device finds it again."""
    drafts = dict(session.get(DRAFTS_KEY, {}))
    drafts[str(consultation.id)] = draft.token
    session[DRAFTS_KEY] = drafts
    session.permanent = True  # a phone's browser may be closed between two sittings


def forget_draft(consultation: Consultation) -> None:
    """This browser no longer has a draft for the consultation."""
    drafts = dict(session.get(DRAFTS_KEY, {}))
    drafts.pop(str(consultation.id), None)
    session[DRAFTS_KEY] = drafts


def remember_submitted(consultation: Consultation, response: Response) -> None:
    """Forget the draft and remember the reference, for the confirmation page."""
    forget_draft(consultation)
    remember_sent(consultation, response)


def start_draft(consultation: Consultation, started_at: datetime, now: datetime) -> Response:
    """A new, empty draft (added to the session, not yet committed)."""
    draft = Response(
        consultation=consultation,
        channel=CHANNEL,
        status=DRAFT,
        token=new_token(),
        answers={},
        pages_done=[],
        survey_version=answering(consultation),
        started_at=started_at,
        updated_at=now,
    )
    db.session.add(draft)
    return draft


def answering(consultation: Consultation) -> int | None:
    """The survey version a draft saved now answers (app.survey.versions): None in a
    preview, whose drafts are not respondents'."""
    return None if in_preview() else consultation.survey_version


def _commit_as_written() -> None:
    """Commit, keeping the values the request's objects hold rather than expiring them.

    A commit normally expires every object loaded, so the next read of the draft or of
    the consultation (whose slug every step's address needs) reloads its row, a query
    each, only to read back what this request has just written or read.
    """
    session = db.session()
    expiring = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expiring


def _claim_draft(draft: Response, now: datetime, **values: Any) -> bool:
    """Write `values` to the draft while it is still this browser's draft, in one update
    that also locks the row; False, writing nothing, once it was sent, or moved to
    another browser by its emailed link.

    Without this, a page saved in one tab while another tab sends the response would
    change a response whose emails have already gone; and a request from the browser
    that asked for the link, under way as the link was opened elsewhere, could still
    change the draft (or get a new link to it) after it had moved.
    """
    values = {"updated_at": now, **values}
    claimed = db.session.execute(
        _claim(tuple(values)), {"draft_id": draft.id, "draft_token": draft.token, **values}
    ).rowcount
    if not claimed:
        db.session.rollback()
        return False
    for name, value in values.items():  # as the row now reads
        set_committed_value(draft, name, value)
    return True


@cache
def _claim(columns: tuple[str, ...]) -> Update:
    """The update of _claim_draft, built once for each set of columns it writes: on the
    table rather than through the ORM, it costs a sixth as much."""
    table = Response.__table__
    return (
        update(table)
        .where(
            table.c.id == bindparam("draft_id"),
            table.c.status == DRAFT,
            table.c.token == bindparam("draft_token"),
        )
        .values({name: bindparam(name) for name in columns})
    )


def discard_draft(consultation: Consultation, draft: Response) -> None:
    """Delete the draft and forget it: what sending does in a preview, which keeps nothing.
    Commits."""
    db.session.execute(delete(Response).where(Response.id == draft.id, Response.status == DRAFT))
    db.session.commit()
    forget_draft(consultation)


def save_page(
    draft: Response,
    questions: list[Question],
    page: int,
    page_answers: dict[str, Any],
    now: datetime,
    complete: bool = True,
) -> bool:
    """Store one page's answers; drop every answer the route no longer reaches. Commits.

    A page saved to finish later with problems on it (`complete` False) keeps its valid
    answers but is not marked done, so the respondent is brought back to it. Returns
    False, changing nothing, if the response has been sent meanwhile.
    """
    on_page = {q.key for q in questions if q.page == page}
    merged = {k: v for k, v in draft.answers.items() if k not in on_page} | page_answers
    answers = routing.kept_answers(questions, merged)
    done = {*draft.pages_done, page} if complete else set(draft.pages_done) - {page}
    written = {
        # Answers to questions since taken out of the survey stay with the draft.
        "answers": answers | removed_answers(questions, draft.answers),
        "pages_done": [p for p in routing.route(questions, answers) if p in done],
        # The draft carries on along the survey as it now is.
        "survey_version": answering(draft.consultation),
    }
    if draft.id is None:  # a new draft, inserted by the commit
        for name, value in written.items():
            setattr(draft, name, value)
        draft.updated_at = now
    elif not _claim_draft(draft, now, **written):
        return False
    _commit_as_written()
    return True


def removed_answers(questions: list[Question], answers: dict[str, Any]) -> dict[str, Any]:
    """The answers to questions the survey no longer has."""
    keys = {q.key for q in questions}
    return {key: answer for key, answer in answers.items() if key not in keys}


def save_details(draft: Response, data: dict[str, Any], now: datetime) -> bool:
    """Store who is responding and what they agree to. Commits; False if already sent."""
    organisation = (data["organisation"] or "").strip()
    written = {
        "respond_as": data["respond_as"],
        "organisation": organisation if data["respond_as"] == "organisation" else "",
        "name": (data["name"] or "").strip(),
        "email": (data["email"] or "").strip(),
        "publish": data["publish"],
        "consent": bool(data["consent"]),
    }
    if not _claim_draft(draft, now, **written):
        return False
    _commit_as_written()
    return True


def details_done(draft: Response) -> bool:
    return bool(draft.respond_as and draft.publish and draft.consent)


def next_step(draft: Response | None, questions: list[Question]) -> tuple[str, int | None]:
    """Where someone carries on: the first page not yet sent, then details, then check."""
    answers = draft.answers if draft else {}
    done = draft.pages_done if draft else []
    page = routing.first_unanswered(questions, answers, done)
    if page is not None:
        return "page", page
    if draft is None or not details_done(draft):
        return "details", None
    return "check", None


def submit(
    consultation: Consultation,
    draft: Response,
    questions: list[Question],
    now: datetime,
    late: bool,
    following: bool = False,
) -> bool:
    """Mark the draft submitted and queue its emails, in one transaction; `following`: it
    asks for news of the consultation, which the receipt mentions.

    The update only succeeds while the row is still this browser's draft: a second send
    of the same form (two taps, a refresh, Back and send again) finds it already
    submitted, and a send under way as its emailed link moved it to another browser
    finds a new token; either changes nothing and returns False. So does a change to a
    sent response (app.survey.changes sends those).
    """
    token = draft.token  # as this request read it
    for _attempt in range(5):
        reference = new_reference(SURVEY.reference_prefix)
        try:
            sent = db.session.scalar(
                _send_draft(),
                {
                    "draft_id": draft.id,
                    "draft_token": token,
                    "reference": reference,
                    "submitted_at": now,
                    "late": late,
                    "survey_version": consultation.survey_version,
                },
            )
        except IntegrityError:  # the reference is taken: draw again
            db.session.rollback()
            continue
        if sent is None:
            db.session.rollback()
            return False
        results.record(sent, questions)
        search.index(sent)
        SURVEY.notify_sent(sent, now, following)
        _commit_as_written()
        return True
    raise RuntimeError("could not find a free reference")


@cache
def _send_draft() -> Select:
    """The update of submit, built once, on the table rather than through the ORM (it
    costs a third as much). Returning the row reads back in the same statement whatever
    another tab saved on the draft meanwhile, so what is sent is what is stored."""
    table = Response.__table__
    sending = (
        update(table)
        .where(
            table.c.id == bindparam("draft_id"),
            table.c.status == DRAFT,
            table.c.token == bindparam("draft_token"),
            # A change to a sent response is sent by changes.send, never as new.
            table.c.amends_id.is_(None),
        )
        # A sent response has no link to carry on with.
        .values(
            status=SUBMITTED,
            reference=bindparam("reference"),
            submitted_at=bindparam("submitted_at"),
            late=bindparam("late"),
            # What the respondent checked and sent is the survey as it is now.
            survey_version=bindparam("survey_version"),
            resume_hash=None,
        )
        .returning(*table.c)
    )
    return select(Response).from_statement(sending).execution_options(populate_existing=True)


def _link_hash(token: str) -> str:
    """What the database keeps of an emailed link's token: its SHA-256, so that a copy
    of the database opens no draft. The token is random, so a plain hash is enough."""
    return hashlib.sha256(token.encode()).hexdigest()


def find_by_link(consultation: Consultation, token: str) -> Response | None:
    """The unfinished draft an emailed link opens, while the link is unused and the newest."""
    if not TOKEN_SHAPE.fullmatch(token):
        return None
    return db.session.scalar(
        select(Response).filter_by(
            consultation_id=consultation.id,
            channel=CHANNEL,
            status=DRAFT,
            resume_hash=_link_hash(token),
        )
    )


def take_over(consultation: Consultation, token: str, now: datetime) -> Response | None:
    """Move the draft an emailed link opens to the browser opening it. Commits.

    One conditional update spends the link and gives the draft a new session token, so
    neither the link nor any browser that had the draft (such as the one that asked for
    the link) finds it again: only this browser sees what is typed next. Of two browsers
    opening the link at once, one gets the draft. The email address and the consent are
    asked for again. None, changing nothing, when the link
    was used, replaced by a newer one or never existed, or the response has been sent.
    """
    if not TOKEN_SHAPE.fullmatch(token):
        return None
    session_token = new_token()
    moved = db.session.execute(
        update(Response)
        .where(
            Response.consultation_id == consultation.id,
            Response.channel == CHANNEL,
            Response.status == DRAFT,
            Response.resume_hash == _link_hash(token),
        )
        # Whoever opens the link gives their own consent and the address for their receipt:
        # kept, they would send the receipt, answers and all, to whoever saved the draft.
        .values(resume_hash=None, token=session_token, email="", consent=False, updated_at=now)
    ).rowcount
    if not moved:
        db.session.rollback()
        return None
    db.session.commit()
    return find_by_token(consultation, session_token, status=DRAFT)


def send_resume_link(
    consultation: Consultation, draft: Response, email: str, now: datetime
) -> bool:
    """Email a link that opens this draft once, on any device, until the consultation
    closes. Commits; False, sending nothing, if the draft is no longer this browser's.

    Only the newest link works: asking again stops any earlier one, so a link that went
    to a mistyped address can be replaced.
    """
    # A change is carried on from the respondent's own link, not from one of these.
    if draft.amends_id is not None or not _claim_draft(draft, now):
        return False
    token = new_token()
    draft.resume_hash = _link_hash(token)
    if not draft.email:
        draft.email = email
    queue_email(
        event_key=f"resume:{draft.id}:{new_token()}",
        kind="resume",
        to=address("", email),
        template="survey_resume",
        context={
            "consultation": consultation,
            "link": site_url("survey.resume", slug=consultation.slug, token=token),
        },
        consultation=consultation,
        now=now,
    )
    db.session.commit()
    return True
