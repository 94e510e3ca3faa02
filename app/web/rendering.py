"""Render a whole page, or only its fragment for an htmx request; answer a POST that worked."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, flash, make_response, redirect, render_template

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


def after_post(location: str, fragment: Callable[[], Response], message: str = "") -> Response:
    """After a POST that worked: htmx gets `fragment()` to swap in; a plain form post is
    told `message` (when there is one) on the page it is redirected (303) to, `location`.

    htmx does not read the answer to a redirect, so it needs the fragment itself.
    """
    if htmx:
        return fragment()
    if message:
        flash(message, "success")
    return redirect(location, code=303)


def whole_page_for_htmx(response: Response) -> Response:
    """Make htmx put a whole page (an error, a closed notice) in place of the body.

    Without this an htmx request would swap a whole page into the small part of the
    page it targets.
    """
    if htmx:
        response.headers["HX-Retarget"] = "body"
        response.headers["HX-Reswap"] = "innerHTML show:window:top"
    return response
