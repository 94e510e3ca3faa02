"""The site's stylesheet, sent inside each page's <head> rather than as a file of its own.

On a slow phone network every request costs a round trip before anything can be drawn;
a page that carries its own styles is drawn as soon as it arrives. The styles are under
3 KB compressed. The Content-Security-Policy allows exactly this text by its hash.
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

from markupsafe import Markup

from app.config import PROJECT_ROOT

PATH = PROJECT_ROOT / "static" / "css" / "site.css"


@lru_cache(maxsize=4)
def _load(mtime: float) -> tuple[str, str]:
    text = PATH.read_text(encoding="utf-8")
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
    return text, f"'sha256-{digest}'"


def _current() -> tuple[str, str]:
    return _load(PATH.stat().st_mtime)  # read again only when the file changes


def inline() -> Markup:
    """The stylesheet's text, for a <style> element."""
    return Markup(_current()[0])  # noqa: S704 (our own file, never user input)


def policy_source() -> str:
    """The CSP source that allows this stylesheet inline: 'sha256-…'."""
    return _current()[1]
