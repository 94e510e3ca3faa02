"""Reading the pages the test client receives."""

from __future__ import annotations

from urllib.parse import urlsplit

from bs4 import BeautifulSoup
from werkzeug.datastructures import MultiDict


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


def redirect_path(response) -> str:
    """The path a redirect points to, without its query."""
    return urlsplit(response.headers["Location"]).path


def where(response) -> str:
    """Where a redirect points: its path, with the query and the fragment if it has them."""
    target = urlsplit(response.headers["Location"])
    query = f"?{target.query}" if target.query else ""
    fragment = f"#{target.fragment}" if target.fragment else ""
    return target.path + query + fragment


def field_error(response, field_id: str) -> str:
    """The message shown by the field, without its visually hidden "Error:"."""
    message = page(response).find(id=f"{field_id}-error")
    assert message is not None, f"no error by {field_id}"
    return text_of(message).removeprefix("Error:").strip()


def value_of(response, name: str) -> str:
    """The value of the page's field called `name`, as the browser would send it."""
    field = page(response).find(attrs={"name": name})
    assert field is not None, f"no field {name}"
    return field.get_text() if field.name == "textarea" else field.get("value", "")


def kept_on_closed_page(response) -> dict[str, str]:
    """What the closed page shows the respondent wrote: prompt -> text."""
    soup = page(response)
    return {
        text_of(row.find("dt")): text_of(row.find("dd"))
        for row in soup.select("dl.summary-list > div")
    }


def sent_by(form) -> MultiDict:
    """What a browser sends for a form as it stands: every named input and textarea,
    checked boxes and radios only, no button."""
    sent = MultiDict()
    for control in form.find_all(["input", "textarea", "select"]):
        name, kind = control.get("name"), control.get("type", "text")
        if not name:
            continue
        if control.name == "textarea":
            # The parser keeps the newline a browser drops after <textarea>, in either form.
            sent.add(name, control.get_text().replace("\r\n", "\n").removeprefix("\n"))
        elif control.name == "select":
            for option in control.find_all("option", selected=True):
                sent.add(name, option.get("value", option.get_text()))
        elif kind in ("checkbox", "radio"):
            if control.has_attr("checked"):
                sent.add(name, control.get("value", "on"))
        elif kind not in ("submit", "button", "file"):
            sent.add(name, control.get("value", ""))
    return sent


def with_changes(sent: MultiDict, changes: dict) -> MultiDict:
    """`sent` with each named field replaced (a list for several values, None to drop it)."""
    data = MultiDict(sent)
    for name, value in changes.items():
        data.poplist(name)
        for one in [] if value is None else value if isinstance(value, list) else [value]:
            data.add(name, one)
    return data
