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


def error_messages(response) -> list[str]:
    """The error summary's messages, to explain a failed assertion."""
    summary = page(response).find(class_="error-summary")
    return [text_of(a) for a in summary.find_all("a")] if summary else []


def summary_links(response) -> dict[str, str]:
    """The error summary as message -> the id its link points at, which must be on the page."""
    soup = page(response)
    summary = soup.find(class_="error-summary")
    assert summary is not None, "no error summary"
    assert text_of(summary.find("h2")) == "There is a problem"
    links = {text_of(a): a["href"].removeprefix("#") for a in summary.find_all("a")}
    for target in links.values():
        assert soup.find(id=target) is not None, f"the summary links to #{target}, not on the page"
    return links


def stamped_form(soup: BeautifulSoup):
    """A response form: the one carrying a `loaded` stamp."""
    stamp = soup.find("input", attrs={"name": "loaded"})
    assert stamp is not None, "no response form on the page"
    return stamp.find_parent("form")


def hidden_fields(response) -> dict[str, str]:
    """The hidden fields of the response form: csrf_token, loaded, and a token if it has one."""
    return {
        field["name"]: field.get("value", "")
        for field in stamped_form(page(response)).find_all("input", attrs={"type": "hidden"})
    }
