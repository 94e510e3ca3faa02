"""Render a whole page, or only its fragment for an htmx request."""

from __future__ import annotations

from typing import Any

from flask import make_response, render_template
from flask.typing import ResponseReturnValue

from app.extensions import htmx


def render_page(
    template: str, fragment: str | None = None, status: int = 200, **context: Any
) -> ResponseReturnValue:
    """Render `template`, or the partial `fragment` (a template named `_*.html`) for htmx.

    The answer differs by the HX-Request header, so caches are told so.
    """
    name = fragment if fragment and htmx else template
    response = make_response(render_template(name, **context), status)
    response.vary.add("HX-Request")
    return response
