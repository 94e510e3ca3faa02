"""URL converters for the site's routes."""

from __future__ import annotations

from werkzeug.routing import IntegerConverter, Map

from app.models import LARGEST_ID


class IdConverter(IntegerConverter):
    """A row's id in a URL, `<id:name>`: a number an id column can hold, or no match (404).

    PostgreSQL refuses a larger number outright, so one must never reach a query.
    """

    def __init__(self, map: Map) -> None:
        super().__init__(map, max=LARGEST_ID)
