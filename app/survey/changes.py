"""Changing a sent survey response from the respondent's link.

The change is made on a draft of its own, a CHANGE DRAFT (its `amends_id` names the
response): a copy of the response that the survey's pages, details and check page work
on as they do on any draft. Nothing reaches the response until the respondent sends
the change; then app.intake.changes makes it once, and the draft goes in the same
commit.

A response has at most one change draft. Opening the change again, on this device or
another, carries on with it under a new token, so a browser that had it before sees
nothing typed after. The browser remembers the change apart from any new response it
has in progress, which is there again once the change is sent. It holds the respondent's
link only while the change is in progress: once the change ends, the cookie no longer
opens the response.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import session
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.intake import links
from app.intake.changes import ChangeSending, Outcome, apply_change
from app.intake.submissions import new_token
from app.models import DRAFT, SUBMITTED, Consultation, Question, Response
from app.survey import routing
from app.survey.channel import SURVEY

CHANGES_KEY = "survey_changes"  # consultation id -> [response id, its change draft's token]
LINKS_KEY = "survey_change_links"  # response id -> the respondent's link, while changing
DETAILS = ("respond_as", "name", "email", "organisation", "publish", "consent")


class _Moved(Exception):
    """The change draft was opened on another device while this one was sending it."""


# Making the change draft.


def copied(source: Response, questions: list[Question]) -> dict[str, Any]:
    """The answers and details a change copies: from the response into its change draft,
    and back when the change is sent."""
    return {
        "answers": dict(source.answers),
        "pages_done": routing.route(questions, source.answers),
        **{name: getattr(source, name) for name in DETAILS},
    }


def open_change(response: Response, questions: list[Question], now: datetime) -> str | None:
    """Give the response's change draft a new token, made now or carried on, and return
    the token. Commits.

    Carried on, it keeps when the change began, from which the grace rule counts; but if
    the response has changed since the draft was made, the draft starts again from the
    response as it is now. None when the response was withdrawn meanwhile. The token is
    not read back: another browser opening the change a moment later gives the draft a
    token of its own, and this one is then sent back to the response's page.
    """
    response_id, version = response.id, response.version
    fields = {
        "version": version,
        **copied(response, questions),
        "survey_version": response.consultation.survey_version,
    }
    new_draft = {"consultation_id": response.consultation_id, "channel": SURVEY.name}
    for _attempt in range(3):
        token = new_token()
        if _carry_on(response_id, version, token, now) or _start_again(
            response_id, token, now, fields
        ):
            db.session.commit()
            return token
        db.session.add(
            Response(
                **new_draft,
                **fields,
                status=DRAFT,
                token=token,
                amends_id=response_id,
                started_at=now,
                updated_at=now,
            )
        )
        try:
            db.session.commit()
            return token
        except IntegrityError:  # made by another request a moment ago, or withdrawn
            db.session.rollback()
            if _sent(response_id) is None:
                return None
    raise RuntimeError("could not open a change draft")


def _carry_on(response_id: int, version: int, token: str, now: datetime) -> bool:
    """Give the change draft made from this version a new token; False if there is none."""
    return bool(
        db.session.execute(
            update(Response)
            .where(
                Response.amends_id == response_id,
                Response.status == DRAFT,
                Response.version == version,
            )
            .values(token=token, updated_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
    )


def _start_again(response_id: int, token: str, now: datetime, fields: dict[str, Any]) -> bool:
    """Make a change draft of an earlier version a fresh copy; False if there is none."""
    return bool(
        db.session.execute(
            update(Response)
            .where(Response.amends_id == response_id, Response.status == DRAFT)
            .values(token=token, started_at=now, updated_at=now, **fields)
            .execution_options(synchronize_session=False)
        ).rowcount
    )


def _sent(response_id: int) -> Response | None:
    """The sent response, while its link works."""
    return db.session.scalar(
        select(Response).where(
            Response.id == response_id,
            Response.status == SUBMITTED,
            Response.link_hash.is_not(None),
        )
    )


def amended(draft: Response) -> Response | None:
    """The sent response a change draft changes."""
    return _sent(draft.amends_id) if draft.amends_id is not None else None


def made_by(consultation: Consultation, token: str) -> Response | None:
    """The response that the change draft with this token changed, once sent."""
    if not token:
        return None
    return db.session.scalar(
        select(Response).filter_by(
            consultation_id=consultation.id,
            channel=SURVEY.name,
            status=SUBMITTED,
            change_token=token,
        )
    )


# Sending the change.


def send(
    draft: Response, questions: list[Question], link: str, now: datetime, late: bool
) -> Outcome | None:
    """Change the response as its change draft reads, once, and delete the draft.

    Commits. The outcome, or None when the draft moved to another device meanwhile: the
    response is then unchanged and the draft left to that device.
    """
    draft_id, token = draft.id, draft.token
    response = db.session.get(Response, draft.amends_id)
    values = {
        **copied(draft, questions),
        "pages_done": list(draft.pages_done),
        "survey_version": draft.consultation.survey_version,
    }
    sending = ChangeSending(token=token, version=draft.version, now=now, late=late, link=link)

    def edit(response: Response) -> None:
        # Claimed first, then the draft: the order a withdrawal takes them in, deleting
        # the response and so its draft; and gone with the change, in one commit.
        if not _delete_draft(draft_id, token):
            raise _Moved
        for name, value in values.items():
            setattr(response, name, value)

    if response is None:
        outcome = Outcome.GONE
    else:
        try:
            outcome = apply_change(response, sending, edit)
        except _Moved:
            db.session.rollback()
            return None
    if outcome is not Outcome.CHANGED:
        _delete_draft(draft_id, token)
        db.session.commit()
    return outcome


def _delete_draft(draft_id: int, token: str) -> bool:
    """Delete the change draft while it is this browser's; False if it is not."""
    return bool(
        db.session.execute(
            delete(Response)
            .where(Response.id == draft_id, Response.token == token, Response.status == DRAFT)
            .execution_options(synchronize_session=False)
        ).rowcount
    )


# What this browser remembers of a change.


def remember(consultation: Consultation, token: str, response_id: int, link: str) -> None:
    """This browser is changing the response: its change draft's token, and the link it
    came by (to go back to the response's page, and for the receipt)."""
    end(consultation)  # a change of another response here ends, with its link
    changes = dict(session.get(CHANGES_KEY, {}))
    changes[str(consultation.id)] = [response_id, token]
    session[CHANGES_KEY] = changes
    held = dict(session.get(LINKS_KEY, {}))
    held[str(response_id)] = link
    session[LINKS_KEY] = held
    session.permanent = True  # a phone's browser may be closed between two sittings


def in_progress(consultation: Consultation) -> tuple[int, str] | None:
    """(the response, its change draft's token) this browser is changing, if any."""
    found = session.get(CHANGES_KEY, {}).get(str(consultation.id))
    return (found[0], found[1]) if found else None


def end(consultation: Consultation, token: str | None = None) -> None:
    """This browser is no longer changing a response: only if its draft has `token`, when
    given, since another tab may have opened the change again meanwhile.

    The link goes too: the cookie lasts a month, and whoever uses the browser next
    should not find the response through it. Read it first if it is still needed.
    """
    current = in_progress(consultation)
    if current is None or (token is not None and current[1] != token):
        return
    changes = dict(session.get(CHANGES_KEY, {}))
    changes.pop(str(consultation.id), None)
    session[CHANGES_KEY] = changes
    held = dict(session.get(LINKS_KEY, {}))
    held.pop(str(current[0]), None)
    session[LINKS_KEY] = held


def link_for(response_id: int) -> str | None:
    """The respondent's link to the response, as this browser came by it."""
    return session.get(LINKS_KEY, {}).get(str(response_id))


def working_link(draft: Response) -> str | None:
    """The link this browser came by to the change draft's response, while it still opens
    it: not once the respondent has been sent a new one to shut an old one out."""
    link = link_for(draft.amends_id) if draft.amends_id is not None else None
    found = links.find(link) if link else None
    return link if found is not None and found.id == draft.amends_id else None


def discard(consultation: Consultation, draft: Response) -> None:
    """Delete the change draft, while it is this browser's, and forget it. Commits."""
    token = draft.token
    _delete_draft(draft.id, token)
    db.session.commit()
    end(consultation, token)
