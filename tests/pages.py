"""Reading the pages the test client receives."""

from __future__ import annotations

from bs4 import BeautifulSoup


def page(response) -> BeautifulSoup:
    """The response body, parsed."""
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def text_of(tag) -> str:
    """A tag's visible text with runs of whitespace collapsed."""
    return " ".join(tag.get_text(" ").split())


def h1_text(response) -> str:
    """The text of the page's one h1."""
    return text_of(page(response).find("h1"))
