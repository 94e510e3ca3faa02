"""Finding responses by the words in them, the same way on SQLite and PostgreSQL.

Each submitted response keeps its words, casefolded, in `search_text`; a search is
every word of the query matched with LIKE. No database's own full-text search is
used, so the results do not change with the database.
"""

from __future__ import annotations

import unicodedata

from sqlalchemy import ColumnElement, and_

from app.models import Response

MOST_TERMS = 10
LONGEST_TERM = 100


def text_of(response: Response) -> str:
    """Everything a respondent wrote or chose, and who they are, in one casefolded string."""
    parts: list[object] = [
        response.reference,
        response.name,
        response.email,
        response.organisation,
        response.respondent_type,
        *(response.topics or []),
        response.evidence_text,
        response.subject,
        response.message,
    ]
    for value in (response.answers or {}).values():
        parts.extend(value if isinstance(value, list) else [value])
    return folded(" ".join(str(part) for part in parts if part not in (None, "")))


def folded(text: str) -> str:
    """Text as the search compares it: composed the same way, then casefolded, so "café"
    typed with a separate accent finds "café" typed with one character."""
    return unicodedata.normalize("NFKC", text).casefold()


def index(response: Response) -> None:
    """Bring the response's search text up to date with what it holds."""
    response.search_text = text_of(response)


def terms(query: str) -> list[str]:
    """The words of a search, casefolded; quotes are not special."""
    return [word[:LONGEST_TERM] for word in folded(query).split()][:MOST_TERMS]


def matches(query: str) -> ColumnElement[bool] | None:
    """A condition true for responses holding every word of `query`, or None for no words."""
    words = terms(query)
    if not words:
        return None
    return and_(*(Response.search_text.like(f"%{_escaped(word)}%", escape="\\") for word in words))


def _escaped(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
