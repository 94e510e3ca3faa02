"""Coding responses: the consultation's tags, which responses carry them, private notes.

Every change is written to the audit log in the same transaction; the log names the
response and the tags, never the text of a note.
"""

from __future__ import annotations

from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Consultation, Note, Response, Tag, record_audit, response_tag


class TagNameTaken(Exception):
    """Another tag of the consultation has this name."""


def tag_counts(consultation: Consultation) -> list[tuple[Tag, int]]:
    """Each tag of the consultation with how many responses carry it."""
    rows = db.session.execute(
        select(Tag, func.count(response_tag.c.response_id))
        .outerjoin(response_tag, response_tag.c.tag_id == Tag.id)
        .where(Tag.consultation_id == consultation.id)
        .group_by(Tag.id)
        .order_by(Tag.name)
    )
    return [(tag, count) for tag, count in rows]


def add_tag(consultation: Consultation, name: str, description: str, actor: str) -> Tag:
    """Define a tag; raises TagNameTaken when the name is in use (in any case)."""
    _refuse_taken(consultation, name)
    tag = Tag(consultation_id=consultation.id, name=name, description=description)
    db.session.add(tag)
    record_audit(actor, "add_tag", consultation, f"Added tag {name}")
    _commit_or_taken()
    return tag


def change_tag(tag: Tag, name: str, description: str, actor: str) -> bool:
    """Rename a tag or change its description. Returns whether anything changed."""
    if (tag.name, tag.description) == (name, description):
        return False
    _refuse_taken(tag.consultation, name, tag.id)
    detail = f"Renamed tag {tag.name} to {name}" if name != tag.name else f"Described tag {name}"
    tag.name, tag.description = name, description
    record_audit(actor, "change_tag", tag.consultation, detail)
    _commit_or_taken()
    return True


def remove_tag(tag: Tag, actor: str) -> int:
    """Delete a tag, taking it off every response. Returns how many carried it."""
    consultation = tag.consultation
    carried = db.session.scalar(
        select(func.count()).select_from(response_tag).where(response_tag.c.tag_id == tag.id)
    )
    db.session.execute(delete(response_tag).where(response_tag.c.tag_id == tag.id))
    db.session.delete(tag)
    record_audit(
        actor, "remove_tag", consultation, f"Removed tag {tag.name} from {carried} responses"
    )
    db.session.commit()
    return carried


def set_tags(response: Response, wanted: list[Tag], actor: str) -> bool:
    """Give the response exactly the tags `wanted`. Returns whether anything changed.

    Writes the links row by row, each in a savepoint, so two people tagging one
    response at once cannot fail on the same link.
    """
    held = set(
        db.session.scalars(
            select(response_tag.c.tag_id).where(response_tag.c.response_id == response.id)
        )
    )
    wanted_ids = {tag.id for tag in wanted}
    if held == wanted_ids:
        return False
    if held - wanted_ids:
        db.session.execute(
            delete(response_tag).where(
                response_tag.c.response_id == response.id,
                response_tag.c.tag_id.in_(held - wanted_ids),
            )
        )
    for tag_id in sorted(wanted_ids - held):
        try:
            with db.session.begin_nested():
                db.session.execute(
                    insert(response_tag).values(response_id=response.id, tag_id=tag_id)
                )
        except IntegrityError:  # someone else added this tag a moment ago
            pass
    names = ", ".join(sorted(tag.name for tag in wanted)) or "none"
    record_audit(
        actor, "tag_response", response.consultation, f"Tagged {response.reference}: {names}"
    )
    db.session.commit()
    db.session.expire(response, ["tags"])
    return True


def add_note(response: Response, text: str, actor: str) -> Note:
    """Add a private note to a response."""
    note = Note(response_id=response.id, author=actor, text=text)
    db.session.add(note)
    record_audit(actor, "add_note", response.consultation, f"Added a note to {response.reference}")
    db.session.commit()
    db.session.expire(response, ["notes"])
    return note


def _refuse_taken(consultation: Consultation, name: str, except_id: int | None = None) -> None:
    """Refuse a name another tag has in any case; compared in Python because SQLite's
    lower() folds only ASCII ("Élan" and "élan" are one tag)."""
    others = db.session.execute(
        select(Tag.id, Tag.name).where(Tag.consultation_id == consultation.id)
    )
    if any(tag_id != except_id and other.casefold() == name.casefold() for tag_id, other in others):
        raise TagNameTaken


def _commit_or_taken() -> None:
    try:
        db.session.commit()
    except IntegrityError:  # the same name added at the same moment
        db.session.rollback()
        raise TagNameTaken from None
