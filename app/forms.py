"""The base every form of the site builds on."""

from __future__ import annotations

import re

from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

# Characters HTML does not allow in a document: control characters other than tab, line
# feed, form feed and carriage return, and the Unicode noncharacters. Nobody types them;
# echoed back into a form they would make the page invalid, so they are dropped on input.
_NONCHARACTERS = (
    "".join(f"\\U{plane:04X}FFFE\\U{plane:04X}FFFF" for plane in range(0x11))
    .encode()
    .decode("unicode_escape")
)
NOT_IN_HTML = re.compile(
    "[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ufdd0-\ufdef" + re.escape(_NONCHARACTERS) + "]"
)


def clean_text(value: str) -> str:
    """`value` without the characters an HTML page may not contain.

    Line breaks become a single line feed: browsers send CRLF, and a limit counted on
    the page, where a line break is one character, must hold on the server too.
    """
    return NOT_IN_HTML.sub("", value.replace("\r\n", "\n"))


class Form(FlaskForm):
    """A FlaskForm (CSRF included) that drops characters HTML cannot carry from every value."""

    class Meta(FlaskForm.Meta):
        def wrap_formdata(self, form, formdata):
            data = super().wrap_formdata(form, formdata)
            if data is None:
                return None
            return MultiDict(
                (key, clean_text(value) if isinstance(value, str) else value)
                for key, value in data.items(multi=True)
            )
