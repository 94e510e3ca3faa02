"""Parts of pages that are the same for every visitor but for a few values, rendered once.

A box such as the sign-up form on the home page is the same for everyone except its
CSRF token and the stamp of when it was served. It is rendered once per process with a
placeholder in each such slot; every request then fills the slots in with its own
values, escaped. Nothing a visitor sends or holds is ever kept: the values of one
request are never seen by another.

The key must name everything else the piece depends on (a consultation's slug, the
words that depend on the time). While templates reload (debugging), nothing is kept.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass

from flask import current_app, request
from markupsafe import Markup, escape
from wtforms import Field

# More keys than this means something is keyed by what it should not be: start afresh.
MOST_KEPT = 256


@dataclass(frozen=True)
class Fragment:
    """A rendered piece as its literal text and the slots between: text, slot, text..."""

    texts: tuple[str, ...]
    slots: tuple[str, ...]

    def fill(self, values: Mapping[str, str]) -> Markup:
        """The piece with each slot's value, escaped, in its place."""
        pieces = [self.texts[0]]
        for slot, text in zip(self.slots, self.texts[1:], strict=True):
            pieces.append(escape(values[slot]))
            pieces.append(text)
        return Markup("".join(pieces))  # noqa: S704 (our templates' output, values escaped)


def _render_with_placeholders(render: Callable[[Mapping[str, str]], str], names) -> Fragment:
    marker = secrets.token_hex(8)
    placeholders = {name: f"slot-{marker}-{name}" for name in names}
    by_placeholder = {placeholder: name for name, placeholder in placeholders.items()}
    rendered = str(render(placeholders))
    if not placeholders:
        return Fragment((rendered,), ())
    split = re.split(f"({'|'.join(map(re.escape, by_placeholder))})", rendered)
    return Fragment(tuple(split[0::2]), tuple(by_placeholder[found] for found in split[1::2]))


def rendered_once(
    key: Hashable, render: Callable[[Mapping[str, str]], str], **values: str
) -> Markup:
    """`render(slots)` for this request's `values`, rendering only once per `key`.

    `render` is given a placeholder for each slot, to put where a value goes as it would
    put the value itself.
    """
    app = current_app._get_current_object()  # once: each look through the proxy costs
    kept: dict[Hashable, Fragment] = app.extensions.setdefault("fragments", {})
    # Links in a piece are written from the site's root, which a proxy may move.
    full_key = (key, request.environ.get("SCRIPT_NAME", ""))
    fragment = kept.get(full_key)
    if fragment is None or app.jinja_env.auto_reload:
        fragment = _render_with_placeholders(render, values)
        if len(kept) >= MOST_KEPT:
            kept.clear()
        kept[full_key] = fragment
    return fragment.fill(values)


def kept(*key: Hashable, caller: Callable[[], str]) -> Markup:
    """For templates: `{% call kept(key...) %}...{% endcall %}` renders its body once for
    the key and keeps it. The body may hold no value of a visitor's own."""
    return rendered_once(("kept",) + key, lambda _: caller())


def unanswered(*fields: Field | None) -> tuple | None:
    """What empty, error-free form fields show, as a key to keep their drawing by; None
    when any holds an answer or an error, which only its own page may show."""
    shown = []
    for field in fields:
        if field is None:
            continue
        if field.data not in (None, "", []) or field.raw_data or field.errors:
            return None
        options = field.iter_choices() if hasattr(field, "iter_choices") else ()
        choices = tuple((str(value), str(label)) for value, label, *_ in options)
        shown.append((field.type, field.id, field.name, field.label.text, choices))
    return tuple(shown)
