"""Structural checks every HTML page must pass: run on every page the tests fetch."""

from __future__ import annotations

import html5lib
from bs4 import BeautifulSoup

UNLABELLED_OK = {"hidden", "submit", "button", "reset", "image"}


def check_page(html: str, fragment: bool = False) -> BeautifulSoup:
    """Parse `html` strictly and assert the rules; return the soup for further checks."""
    if not fragment:
        # Strict parsing fails on any markup error a browser would silently repair.
        html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(html)
    soup = BeautifulSoup(html, "html.parser")
    _unique_ids(soup)
    _labelled_controls(soup)
    _forms_have_actions(soup)
    if not fragment:
        _one_h1_matching_title(soup)
        _landmarks(soup)
    return soup


def _unique_ids(soup: BeautifulSoup) -> None:
    ids = [tag["id"] for tag in soup.find_all(id=True)]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert not duplicates, f"duplicate ids: {duplicates}"


def _labelled_controls(soup: BeautifulSoup) -> None:
    labels = {label.get("for") for label in soup.find_all("label")}
    for control in soup.find_all(["input", "select", "textarea"]):
        if control.name == "input" and control.get("type", "text") in UNLABELLED_OK:
            continue
        labelled = (
            control.get("id") in labels
            or control.get("aria-label")
            or control.get("aria-labelledby")
            or control.find_parent("label")
        )
        assert labelled, f"control without a label: {control}"


def _forms_have_actions(soup: BeautifulSoup) -> None:
    for form in soup.find_all("form"):
        assert form.get("action"), f"form without an action: {str(form)[:200]}"
        assert form.get("method", "get").lower() in {"get", "post"}


def _one_h1_matching_title(soup: BeautifulSoup) -> None:
    h1s = soup.find_all("h1")
    assert len(h1s) == 1, f"expected one h1, found {len(h1s)}"
    heading = " ".join(h1s[0].get_text().split())
    title = " ".join(soup.title.get_text().split()).removeprefix("Error: ")
    assert title.startswith(heading), f"title {title!r} does not start with h1 {heading!r}"


def _landmarks(soup: BeautifulSoup) -> None:
    assert soup.find("main", id="main"), "no <main id=main>"
    skip = soup.find("a", class_="skip-link")
    assert skip and skip.get("href") == "#main", "no skip link to #main"
    assert soup.find("html").get("lang"), "no lang on <html>"
