"""Jinja filters and globals shared by every template."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from urllib.parse import urljoin

from flask import Flask, current_app, has_request_context, request, url_for
from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup

from app.consultations.lifecycle import time_left
from app.formatting import phones, timefmt
from app.intake import channels
from app.runtime import clock
from app.web import fragments, stylesheet

# Raw HTML in Markdown is escaped, and markdown-it refuses javascript: and data: links.
_markdown = MarkdownIt("commonmark", {"html": False})


def _parsed(text: str) -> list[Token]:
    """Markdown's tokens, with headings moved down a level below h1, since the page's
    title (or the email's) is its only h1."""
    tokens = _markdown.parse(text or "")
    for token in tokens:
        if token.type in ("heading_open", "heading_close") and token.tag == "h1":
            token.tag = "h2"
    return tokens


def _rendered(tokens: list[Token]) -> Markup:
    # html is off, so the output holds no markup the author typed.
    return Markup(_markdown.renderer.render(tokens, _markdown.options, {}))  # noqa: S704


@lru_cache(maxsize=256)
def render_markdown(text: str) -> Markup:
    """Markdown written by admins, rendered with any HTML in it escaped.

    Kept by its text, which is all it depends on: a consultation's page shows the same
    body to every visitor, and parsing it took a seventh of the page's time.
    """
    return _rendered(_parsed(text))


# An email's headings are sized here: mail clients' own sizes for h2 are larger than the
# email's title (email/_layout.html's templates give their h1 24px).
EMAIL_HEADINGS = {"h2": "font-size:21px;", "h3": "font-size:19px;"}
EMAIL_LINK = "color:#1d4f91;"


def render_email_markdown(text: str) -> Markup:
    """Markdown written by admins, as an email shows it.

    Links to this site's own paths (/consultations/...) are made absolute against
    SITE_URL, since a mail client has no page to resolve them against. An image becomes
    its description: a remote image in an email tells the sender who opened it.
    """
    tokens = _parsed(text)
    site = current_app.config["SITE_URL"].rstrip("/") + "/"
    for token in tokens:
        if token.type == "heading_open":
            token.attrSet("style", EMAIL_HEADINGS.get(token.tag, EMAIL_HEADINGS["h3"]))
        for child in token.children or []:
            if child.type == "link_open":
                child.attrSet("href", urljoin(site, str(child.attrGet("href") or "")))
                child.attrSet("style", EMAIL_LINK)
        if token.children:
            token.children = [_without_image(child) for child in token.children]
    return _rendered(tokens)


# In Markdown's source: a code span (left alone), an inline link's or image's target after
# "](", or a link reference definition's target at the start of a line.
_LINK_TARGET = re.compile(
    r"(?P<code>(`+)[^`]*?\2)"
    r"|(?P<inline>\]\(\s*<?)(?P<target>[^\s<>()]+)"
    r"|(?P<definition>^ {0,3}\[[^\]\n]+\]:[ \t]*<?)(?P<defined>[^\s<>]+)",
    re.MULTILINE,
)


def render_email_markdown_text(text: str) -> str:
    """Markdown written by admins, as an email's text part shows it: as written, with the
    targets of its links made absolute against SITE_URL as the HTML part's are (a mail
    client has no page to resolve /consultations/... against). Code is left as written."""
    site = current_app.config["SITE_URL"].rstrip("/") + "/"

    def absolute(found: re.Match) -> str:
        if found["code"]:
            return found["code"]
        if found["inline"]:
            return found["inline"] + urljoin(site, found["target"])
        return found["definition"] + urljoin(site, found["defined"])

    lines = (text or "").split("\n")
    code = set()
    for token in _markdown.parse(text or ""):
        if token.type in ("fence", "code_block") and token.map:
            code.update(range(*token.map))
    kept, prose = [], []
    for number, line in enumerate(lines):
        if number in code:
            kept.append(_LINK_TARGET.sub(absolute, "\n".join(prose)) if prose else None)
            kept.append(line)
            prose = []
        else:
            prose.append(line)
    kept.append(_LINK_TARGET.sub(absolute, "\n".join(prose)) if prose else None)
    return "\n".join(part for part in kept if part is not None)


def _without_image(token: Token) -> Token:
    """An image as the text of its description (which may be empty)."""
    if token.type != "image":
        return token
    alt = _markdown.renderer.renderInlineAsText(token.children or [], _markdown.options, {})
    return Token("text", "", 0, content=alt)


def local_time(moment: datetime) -> str:
    """'5pm UK time on 1 March 2027' in the site's zone."""
    return timefmt.local_time(moment, current_app.config["SITE_ZONE"])


def time_to_deadline(closes_at: datetime, now: datetime) -> str:
    """'3 days left', however far away the deadline is; empty once it has passed."""
    left = time_left(closes_at, now, within=timedelta(days=36_500))
    return f"{left} left" if left else ""


def day_name(moment: datetime) -> str:
    """'Tuesday 24 November 2026' in the site's zone."""
    return timefmt.day_name(moment.astimezone(current_app.config["SITE_ZONE"]))


def clock_time(moment: datetime) -> str:
    """'10:30am' in the site's zone."""
    return timefmt.clock_time(moment.astimezone(current_app.config["SITE_ZONE"]))


def call_time(starts_at: datetime, ends_at: datetime) -> str:
    """'Tuesday 24 November 2026, 10:30am to 11am UK time'."""
    return timefmt.call_time(starts_at, ends_at, current_app.config["SITE_ZONE"])


def phone(e164: str) -> str:
    """A stored telephone number as people write it."""
    return phones.display(e164, current_app.config["PHONE_REGION"])


def hours(count: float) -> str:
    """'2 hours', '1 hour', '90 minutes'."""
    if count != int(count):
        return f"{round(count * 60)} minutes"
    return f"{int(count)} {'hour' if count == 1 else 'hours'}"


@lru_cache(maxsize=64)
def _fingerprint(path: str, mtime: float) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def _built_once(key: tuple, build: Callable[[], str]) -> str:
    """`build()`, kept for the process under `key` and the site's root (a proxy may move
    it), since links on every page are built the same way on every request. While
    templates reload (debugging), built every time, so an edited file gets a new hash."""
    app = current_app._get_current_object()  # once: each look through the proxy costs
    if app.jinja_env.auto_reload or not has_request_context():
        return build()
    kept: dict[tuple, str] = app.extensions.setdefault("built_urls", {})
    key = (*key, request.environ.get("SCRIPT_NAME", ""))
    url = kept.get(key)
    if url is None:
        url = kept[key] = build()
    return url


def static_url(filename: str) -> str:
    """A static file's URL with its content's hash, so browsers may cache it for a year."""

    def build() -> str:
        path = Path(current_app.static_folder) / filename
        version = _fingerprint(str(path), path.stat().st_mtime)
        return url_for("static", filename=filename, v=version)

    return _built_once(("static", filename), build)


def fixed_url(endpoint: str) -> str:
    """url_for(endpoint) for a page whose address takes no values (the links in every
    page's header and footer), built once."""
    return _built_once(("endpoint", endpoint), lambda: url_for(endpoint))


def init_app(app: Flask) -> None:
    """Register the filters and globals."""
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["email_markdown"] = render_email_markdown
    app.jinja_env.filters["email_markdown_text"] = render_email_markdown_text
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["day_name"] = day_name
    app.jinja_env.filters["clock_time"] = clock_time
    app.jinja_env.filters["call_time"] = call_time
    app.jinja_env.filters["phone"] = phone
    app.jinja_env.filters["hours"] = hours
    app.jinja_env.globals["now"] = clock.now
    app.jinja_env.globals["time_to_deadline"] = time_to_deadline
    app.jinja_env.filters["short_day"] = timefmt.short_day
    app.jinja_env.globals["static_url"] = static_url
    app.jinja_env.globals["fixed_url"] = fixed_url
    app.jinja_env.globals["kept"] = fragments.kept
    app.jinja_env.globals["unanswered"] = fragments.unanswered
    app.jinja_env.globals["inline_stylesheet"] = stylesheet.inline
    app.jinja_env.globals["form_errors"] = form_errors
    app.jinja_env.globals["channel_links"] = channel_links
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True


CHOICE_FIELDS = {"RadioField", "SelectMultipleField"}


def form_errors(form) -> list[tuple[str, str]]:
    """(id to link to, message) for the error summary, in the order fields appear."""
    errors = []
    for field in form:
        if field.errors:
            target = f"{field.id}-1" if field.type in CHOICE_FIELDS else field.id
            errors.append((target, field.errors[0]))
    return errors


def channel_links(consultation) -> list[tuple[str, str, str]]:
    """(url, title, description) for each way to take part that is offered and built."""
    return [
        (url_for(channel.endpoint, slug=consultation.slug), channel.title, channel.description)
        for channel in channels.offered(consultation)
    ]
