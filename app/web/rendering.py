"""Render a whole page, or only its fragment for an htmx request."""

from __future__ import annotations

from typing import Any

from flask import Response, make_response, render_template

from app.extensions import htmx


def render_page(
    template: str, fragment: str | None = None, status: int = 200, **context: Any
) -> Response:
    """Render `template`, or the partial `fragment` (a template named `_*.html`) for htmx.

    The answer differs by the HX-Request header, so caches are told so.
    """
    # Restoring history after a cache miss needs the whole page.
    as_fragment = bool(fragment and htmx and not htmx.history_restore_request)
    name = fragment if as_fragment else template
    response = make_response(render_template(name, as_fragment=as_fragment, **context), status)
    response.vary.add("HX-Request")
    return response


def whole_page_for_htmx(response: Response) -> Response:
    """Make htmx put a whole page (an error, a closed notice) in place of the body.

    Without this an htmx request would swap a whole page into the small part of the
    page it targets.
    """
    if htmx:
        response.headers["HX-Retarget"] = "body"
        response.headers["HX-Reswap"] = "innerHTML show:window:top"
    return response
