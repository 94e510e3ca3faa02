"""Responses in the admin area: rows stored straight with the models, and reading the list.

Storing rows with the models is quicker than trips through the public forms and tests the
same queries; they are indexed for search, and counted for the charts, as the site does.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import insert

from app.extensions import db
from app.intake import search
from app.models import SUBMITTED, Consultation, Response, Tag, response_tag
from app.survey import results
from tests.support.factories import SLUG
from tests.support.pages import page, text_of

LIST_URL = f"/admin/consultations/{SLUG}/responses"


def insert_response(
    consultation: Consultation, at: datetime, number: int, channel: str = "evidence", **fields
) -> Response:
    """A submitted response stored straight with the models, indexed for search (and
    counted for the charts, for a survey) as the site does on submission."""
    response = Response(
        consultation_id=consultation.id,
        channel=channel,
        status=SUBMITTED,
        token=secrets.token_urlsafe(24),
        reference=fields.pop("reference", f"{channel[:2].upper()}-{number:06d}"),
        consent=True,
        publish=fields.pop("publish", "no" if channel != "contact" else ""),
        started_at=at - timedelta(minutes=5),
        updated_at=at,
        submitted_at=at,
        **fields,
    )
    db.session.add(response)
    db.session.flush()
    search.index(response)
    if channel == "survey":
        results.record(response, list(consultation.questions))
    return response


def give_tags(response: Response, *tags: Tag) -> None:
    """Tag a response straight in the database (tagging itself is tested over HTTP)."""
    db.session.execute(
        insert(response_tag), [{"response_id": response.id, "tag_id": tag.id} for tag in tags]
    )
    db.session.commit()


def new_tag(consultation: Consultation, name: str, description: str = "") -> Tag:
    tag = Tag(consultation_id=consultation.id, name=name, description=description)
    db.session.add(tag)
    db.session.commit()
    return tag


def references(response) -> list[str]:
    """The references in the list's table, top to bottom."""
    table = page(response).find("table")
    if table is None:
        return []
    return [text_of(row.find("td")) for row in table.find("tbody").find_all("tr")]


def page_title(response) -> str:
    """The page's title without the site's name."""
    return " ".join(page(response).title.get_text().split()).removesuffix(" – Have your say")
