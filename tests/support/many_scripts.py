"""Text as people write it in many scripts, for property tests that read email back.

Letters of English and Welsh, Arabic, Chinese and Russian, with emoji (a skin tone, a joiner,
a variation selector) and a letter beyond the Basic Multilingual Plane. Spaces are rare, so
a paragraph is often one long run, as pasted text can be.
"""

from __future__ import annotations

from bs4 import BeautifulSoup
from hypothesis import strategies as st

SCRIPTS = (
    "abcdefghijklmnopqrstuvwxyz ÂâŴŵŶŷÏïéè'’-.,;:?!0123456789"  # English and Welsh
    "ابتثجحخدذرسشصضطظعغفقكلمنهوي،؟"  # Arabic
    "的一是不了人我在有他这中大来上国个到说们为子和你地出道"  # Chinese
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"  # Russian
    "🥫🏘️👍🏽𠀀\u200d"
)
LETTERS = st.sampled_from(SCRIPTS)
# One paragraph in four scripts with emoji, for an @example of the longest text a form takes.
PARAGRAPH = "Gwasanaethau’n lleol, الخدمات المحلية, 本地服务, местные услуги 🏘️ "


def long_text(max_length: int) -> st.SearchStrategy[str]:
    """A run of letters repeated to any length up to `max_length`."""
    runs = st.text(alphabet=LETTERS, min_size=1, max_size=60)
    return runs.flatmap(
        lambda run: st.integers(1, max_length // len(run)).map(lambda times: run * times)
    )


def names(max_length: int = 200) -> st.SearchStrategy[str]:
    """A name in any of the scripts."""
    return st.text(alphabet=LETTERS, min_size=1, max_size=max_length)


def longest_line(raw: bytes) -> int:
    """Octets in the longest line of a message as it crossed the wire, CRLF left out."""
    return max(len(line) for line in raw.split(b"\r\n"))


def assert_arrived_intact(received: list, text: str, name: str) -> None:
    """Each delivered email has short lines and carries `text` whole in both parts, and `name`.

    HTML folds white space, so the HTML part is compared word for word.
    """
    for email in received:
        assert longest_line(email.raw) <= 998
        assert text in email.text.replace("\r\n", "\n")
        assert name in email.text
        html = BeautifulSoup(email.html, "html.parser").get_text()
        assert " ".join(text.split()) in " ".join(html.split())
