"""Coding responses: admins define tags, anyone on the team tags a response and adds notes.

Everything goes through the admin pages' real forms (with their CSRF tokens), as an admin
and as an officer, and with htmx's headers where a panel is swapped in place. The
responses being coded are stored with the models: how they arrive has its own tests.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, Note, Response, Tag, response_tag
from tests.support.clients import new_browser
from tests.support.factories import (
    ADMIN_EMAIL,
    OFFICER_EMAIL,
    SLUG,
    TITLE,
    AuthActions,
    csrf_token,
)
from tests.support.pages import error_messages, field_error, page, summary_links, text_of, where
from tests.support.responses import LIST_URL, insert_response, new_tag, page_title, references

TAGS_URL = f"/admin/consultations/{SLUG}/tags"
HTMX_TAGS = {"HX-Request": "true", "HX-Target": "tags", "HX-Current-URL": "http://localhost/"}
HTMX_NOTES = {**HTMX_TAGS, "HX-Target": "notes"}


# --- fixtures and helpers --------------------------------------------------------------------


@pytest.fixture
def consultation(make_survey):
    return make_survey()


@pytest.fixture
def items(consultation, clock) -> list[Response]:
    """Three submitted responses, oldest first."""
    made = [
        insert_response(consultation, clock.now, 1, name="Ann", evidence_text="Buses."),
        insert_response(consultation, clock.now, 2, name="Bea", evidence_text="Libraries."),
        insert_response(consultation, clock.now, 3, name="Cy", evidence_text="Parks."),
    ]
    db.session.commit()
    return made


@pytest.fixture
def tags(consultation) -> dict[str, Tag]:
    return {name: new_tag(consultation, name) for name in ("Transport", "Cost", "Housing")}


def response_url(item: Response) -> str:
    return f"/admin/responses/{item.id}"


def flashes(response) -> list[str]:
    return [text_of(p) for p in page(response).select("#flashes p")]


CODING_ACTIONS = ("add_tag", "change_tag", "remove_tag", "tag_response", "add_note")


def audit(action: str | None = None) -> list[tuple[str, str, str]]:
    """(actor, action, detail) of every coding audit event, oldest first (importing the
    consultation is audited too, and is not what these tests are about)."""
    db.session.rollback()
    query = select(AuditEvent).order_by(AuditEvent.id)
    query = (
        query.filter_by(action=action)
        if action
        else query.filter(AuditEvent.action.in_(CODING_ACTIONS))
    )
    return [(e.actor, e.action, e.detail) for e in db.session.scalars(query)]


def stored_tags() -> list[tuple[str, str]]:
    db.session.rollback()
    return [(t.name, t.description) for t in db.session.scalars(select(Tag).order_by(Tag.id))]


def tag_names_of(item: Response) -> list[str]:
    db.session.rollback()
    return sorted(
        db.session.scalars(
            select(Tag.name)
            .join(response_tag, response_tag.c.tag_id == Tag.id)
            .where(response_tag.c.response_id == item.id)
        )
    )


def notes_of(item: Response) -> list[tuple[str, str]]:
    db.session.rollback()
    return [
        (n.author, n.text)
        for n in db.session.scalars(select(Note).filter_by(response_id=item.id).order_by(Note.id))
    ]


def tag_rows(response) -> list[tuple[str, str, str]]:
    """The tags page's table: (tag, what it covers, responses)."""
    table = page(response).find("table")
    if table is None:
        return []
    rows = []
    for row in table.find("tbody").find_all("tr"):
        cells = row.find_all("td")
        count = cells[2].find("a").find(string=True, recursive=False)
        rows.append((text_of(cells[0]), text_of(cells[1]), count.strip()))
    return rows


def post_tag(browser, name: str, description: str = "", **kwargs):
    token = csrf_token(browser, TAGS_URL)
    return browser.post(
        TAGS_URL,
        data={"name": name, "description": description, "csrf_token": token},
        **kwargs,
    )


def edit_tag(browser, tag: Tag, name: str, description: str = ""):
    url = f"/admin/tags/{tag.id}/edit"
    token = csrf_token(browser, url)
    return browser.post(url, data={"name": name, "description": description, "csrf_token": token})


def choose_tags(browser, item: Response, chosen: list, headers: dict | None = None):
    """Send the response page's tags form with these tags ticked (Tag objects or raw values)."""
    token = csrf_token(browser, response_url(item))
    values = [str(t.id) if isinstance(t, Tag) else t for t in chosen]
    return browser.post(
        f"{response_url(item)}/tags",
        data={"tags": values, "csrf_token": token},
        headers=headers or {},
    )


def add_note(browser, item: Response, text: str, headers: dict | None = None):
    token = csrf_token(browser, response_url(item))
    return browser.post(
        f"{response_url(item)}/notes",
        data={"text": text, "csrf_token": token},
        headers=headers or {},
    )


def ticked(response) -> list[str]:
    """The labels of the ticked tag boxes on the page or panel."""
    soup = page(response)
    return [
        text_of(soup.find("label", attrs={"for": box["id"]}))
        for box in soup.find_all("input", attrs={"name": "tags", "checked": True})
    ]


# --- defining tags ---------------------------------------------------------------------------


def test_an_admin_adds_a_tag_with_its_spaces_tidied(admin, consultation):
    added = post_tag(admin, "  Public \t  transport ", "  Buses, trains and trams.  ")

    assert added.status_code == 303
    assert where(added) == TAGS_URL
    shown = admin.get(TAGS_URL)
    assert flashes(shown) == ["Tag Public transport added."]
    assert tag_rows(shown) == [("Public transport", "Buses, trains and trams.", "0")]
    assert stored_tags() == [("Public transport", "Buses, trains and trams.")]
    assert audit() == [(ADMIN_EMAIL, "add_tag", "Added tag Public transport")]


def test_the_tags_page_lists_tags_by_name_with_their_counts_and_links(
    admin, consultation, items, tags
):
    assert choose_tags(admin, items[0], [tags["Transport"], tags["Cost"]]).status_code == 303
    assert choose_tags(admin, items[1], [tags["Transport"]]).status_code == 303

    shown = admin.get(TAGS_URL)

    assert tag_rows(shown) == [("Cost", "", "1"), ("Housing", "", "0"), ("Transport", "", "2")]
    link = page(shown).find("a", href=f"{LIST_URL}?tag={tags['Transport'].id}")
    assert link is not None
    assert references(admin.get(link["href"])) == [items[1].reference, items[0].reference]


def test_a_tag_of_60_characters_is_allowed(admin, consultation):
    name = "T" * 60

    assert post_tag(admin, name).status_code == 303
    assert stored_tags() == [(name, "")]


@pytest.mark.parametrize(
    ("name", "description", "field", "message"),
    [
        ("", "", "name", "Enter a name for the tag"),
        ("   \t ", "About", "name", "Enter a name for the tag"),
        ("T" * 61, "About", "name", "Enter 60 characters or fewer"),
        ("transport", "About", "name", "There is already a tag with this name"),
        ("  TRANSPORT  ", "", "name", "There is already a tag with this name"),
        ("Fine", "D" * 301, "description", "Enter 300 characters or fewer"),
    ],
    ids=[
        "empty",
        "spaces",
        "too-long",
        "same-name-lower-case",
        "same-name-upper-case",
        "long-about",
    ],
)
def test_a_tag_that_cannot_be_added_is_refused_with_what_was_typed_kept(
    admin, consultation, name, description, field, message
):
    new_tag(consultation, "Transport")

    refused = post_tag(admin, name, description)

    assert refused.status_code == 422
    assert page_title(refused) == f"Error: Tags for {TITLE}"
    assert summary_links(refused) == {message: field}
    assert field_error(refused, field) == message
    soup = page(refused)
    kept_name = " ".join(name.split())
    assert soup.find("input", id="name")["value"] == kept_name
    assert soup.find("input", id="description")["value"] == description.strip()
    assert tag_rows(refused) == [("Transport", "", "0")]
    assert stored_tags() == [("Transport", "")]
    assert audit() == []


def test_a_name_with_accented_capitals_is_taken_in_any_case(admin, consultation):
    new_tag(consultation, "Économie")

    refused = post_tag(admin, "économie")

    assert refused.status_code == 422
    assert error_messages(refused) == ["There is already a tag with this name"]
    assert stored_tags() == [("Économie", "")]


def test_the_same_name_in_another_consultation_is_allowed(admin, consultation, make_consultation):
    other = make_consultation(slug="another", title="Another consultation")
    new_tag(other, "Transport")

    assert post_tag(admin, "Transport").status_code == 303
    assert [name for name, _ in stored_tags()] == ["Transport", "Transport"]


# --- changing and deleting tags --------------------------------------------------------------


def test_an_admin_renames_a_tag_and_describes_it(admin, consultation, tags):
    transport = tags["Transport"]
    form = page(admin.get(f"/admin/tags/{transport.id}/edit"))
    assert form.find("input", id="name")["value"] == "Transport"

    renamed = edit_tag(admin, transport, "  Getting   around ", "")
    described = edit_tag(admin, transport, "Getting around", " Buses and trains ")

    assert (renamed.status_code, described.status_code) == (303, 303)
    assert where(described) == TAGS_URL
    assert flashes(admin.get(TAGS_URL)) == ["Tag saved."]
    assert ("Getting around", "Buses and trains") in stored_tags()
    assert audit("change_tag") == [
        (ADMIN_EMAIL, "change_tag", "Renamed tag Transport to Getting around"),
        (ADMIN_EMAIL, "change_tag", "Described tag Getting around"),
    ]


def test_a_tag_can_change_only_the_case_of_its_name(admin, consultation, tags):
    assert edit_tag(admin, tags["Cost"], "COST").status_code == 303
    assert ("COST", "") in stored_tags()


def test_saving_a_tag_unchanged_changes_nothing(admin, consultation, tags):
    saved = edit_tag(admin, tags["Cost"], " Cost ")

    assert saved.status_code == 303
    assert flashes(admin.get(TAGS_URL)) == ["Nothing changed."]
    assert audit() == []


@pytest.mark.parametrize(
    ("name", "description", "field", "message"),
    [
        ("", "", "name", "Enter a name for the tag"),
        ("H" * 61, "", "name", "Enter 60 characters or fewer"),
        ("housing", "Homes", "name", "There is already a tag with this name"),
        ("Cost", "D" * 301, "description", "Enter 300 characters or fewer"),
    ],
    ids=["empty", "too-long", "another-tags-name", "long-about"],
)
def test_a_change_that_cannot_be_saved_is_refused(
    admin, consultation, tags, name, description, field, message
):
    refused = edit_tag(admin, tags["Cost"], name, description)

    assert refused.status_code == 422
    assert page_title(refused) == "Error: Change tag Cost"
    assert summary_links(refused) == {message: field}
    assert page(refused).find("input", id="name")["value"] == name
    assert page(refused).find("input", id="description")["value"] == description
    assert ("Cost", "") in stored_tags()
    assert audit() == []


def test_deleting_a_tag_asks_first(app, consultation, items, tags, admin_user):
    browser = new_browser(app)
    assert AuthActions(browser).login().status_code == 303
    transport = tags["Transport"]

    confirm = browser.get(f"/admin/tags/{transport.id}/delete")  # check_page runs here

    assert confirm.status_code == 200
    soup = page(confirm)
    assert text_of(soup.find("h1")) == "Delete the tag Transport?"
    form = soup.find("form", action=f"/admin/tags/{transport.id}/delete")
    assert form["method"] == "post"
    assert stored_tags() == [("Transport", ""), ("Cost", ""), ("Housing", "")]
    assert audit() == []


def test_deleting_a_tag_takes_it_off_every_response(admin, consultation, items, tags):
    transport = tags["Transport"]
    tag_id = transport.id
    assert choose_tags(admin, items[0], [transport, tags["Cost"]]).status_code == 303
    assert choose_tags(admin, items[1], [transport]).status_code == 303
    assert references(admin.get(f"{LIST_URL}?tag=none")) == [items[2].reference]

    token = csrf_token(admin, TAGS_URL)  # the confirmation page has its own test
    deleted = admin.post(f"/admin/tags/{tag_id}/delete", data={"csrf_token": token})

    assert deleted.status_code == 303
    assert where(deleted) == TAGS_URL
    shown = admin.get(TAGS_URL)
    assert flashes(shown) == ["Tag Transport deleted and taken off 2 responses."]
    assert tag_rows(shown) == [("Cost", "", "1"), ("Housing", "", "0")]
    assert tag_names_of(items[0]) == ["Cost"]
    assert tag_names_of(items[1]) == []
    assert references(admin.get(f"{LIST_URL}?tag=none")) == [
        items[2].reference,
        items[1].reference,
    ]
    assert admin.get(f"{LIST_URL}?tag={tag_id}").status_code == 422
    assert (ADMIN_EMAIL, "remove_tag", "Removed tag Transport from 2 responses") in audit()
    assert admin.get(f"/admin/tags/{tag_id}/edit").status_code == 404
    db.session.rollback()
    assert (
        db.session.scalar(
            select(func.count()).select_from(response_tag).where(response_tag.c.tag_id == tag_id)
        )
        == 0
    )


def test_an_unknown_tag_is_not_found(admin, consultation):
    assert admin.get("/admin/tags/999/edit").status_code == 404
    assert admin.get("/admin/tags/999/delete").status_code == 404


# --- tagging a response ----------------------------------------------------------------------


def test_tagging_gives_a_response_exactly_the_tags_chosen(admin, consultation, items, tags):
    item = items[0]
    reference = item.reference

    first = choose_tags(admin, item, [tags["Transport"], tags["Cost"]])
    assert first.status_code == 303
    assert where(first) == f"{response_url(item)}#tags"
    shown = admin.get(response_url(item))
    assert flashes(shown) == ["Tags saved."]
    assert ticked(shown) == ["Cost", "Transport"]
    assert tag_names_of(item) == ["Cost", "Transport"]

    assert choose_tags(admin, item, [tags["Cost"], tags["Housing"]]).status_code == 303
    assert tag_names_of(item) == ["Cost", "Housing"]
    assert ticked(admin.get(response_url(item))) == ["Cost", "Housing"]

    assert choose_tags(admin, item, []).status_code == 303
    assert tag_names_of(item) == []
    assert ticked(admin.get(response_url(item))) == []

    assert tag_names_of(items[1]) == []
    assert audit() == [
        (ADMIN_EMAIL, "tag_response", f"Tagged {reference}: Cost, Transport"),
        (ADMIN_EMAIL, "tag_response", f"Tagged {reference}: Cost, Housing"),
        (ADMIN_EMAIL, "tag_response", f"Tagged {reference}: none"),
    ]


def test_the_list_shows_each_responses_tags(admin, consultation, items, tags):
    choose_tags(admin, items[0], [tags["Transport"], tags["Cost"]])

    row = page(admin.get(LIST_URL)).find("td", string=items[0].reference).find_parent("tr")

    assert [text_of(t) for t in row.find_all(class_="tag-code")] == ["Cost", "Transport"]


def test_the_same_tag_twice_is_one_tag(admin, consultation, items, tags):
    sent = choose_tags(admin, items[0], [tags["Cost"], tags["Cost"]])

    assert sent.status_code == 303
    assert tag_names_of(items[0]) == ["Cost"]


def test_sending_the_same_tags_again_changes_nothing(admin, consultation, items, tags):
    choose_tags(admin, items[0], [tags["Cost"]])
    before = audit()

    again = choose_tags(admin, items[0], [tags["Cost"]])

    assert again.status_code == 303
    assert flashes(admin.get(response_url(items[0]))) == ["No change to the tags."]
    assert tag_names_of(items[0]) == ["Cost"]
    assert audit() == before


def test_no_tags_chosen_on_an_untagged_response_changes_nothing(admin, consultation, items, tags):
    assert choose_tags(admin, items[0], []).status_code == 303
    assert flashes(admin.get(response_url(items[0]))) == ["No change to the tags."]
    assert audit() == []


@pytest.mark.parametrize("crafted", ["other", "abc", "99999999999999999999", ""])
def test_a_tag_the_page_never_offered_is_refused(
    admin, consultation, items, tags, make_consultation, crafted
):
    choose_tags(admin, items[0], [tags["Cost"]])
    before = audit()
    if crafted == "other":
        elsewhere = make_consultation(slug="another", title="Another consultation")
        crafted = str(new_tag(elsewhere, "Elsewhere").id)

    refused = choose_tags(admin, items[0], [tags["Transport"], crafted])

    assert refused.status_code == 422
    assert page_title(refused) == f"Error: Response {items[0].reference}"
    assert list(summary_links(refused).values()) == ["tags-1"]
    assert tag_names_of(items[0]) == ["Cost"]
    assert audit() == before


def test_the_wording_for_a_crafted_tag_is_the_sites_own(admin, consultation, items, tags):
    refused = choose_tags(admin, items[0], ["99"])

    assert refused.status_code == 422
    assert error_messages(refused) == ["Select one of the options shown"]


def test_a_draft_or_unknown_response_cannot_be_tagged(admin, consultation, items, tags, clock):
    draft = Response(
        consultation_id=consultation.id,
        channel="survey",
        status="draft",
        token="d" * 32,
        started_at=clock.now,
        updated_at=clock.now,
    )
    db.session.add(draft)
    db.session.commit()
    token = csrf_token(admin, response_url(items[0]))

    for response_id in (draft.id, 999_999):
        for action, data in (("tags", {"tags": str(tags["Cost"].id)}), ("notes", {"text": "x"})):
            sent = admin.post(
                f"/admin/responses/{response_id}/{action}", data={**data, "csrf_token": token}
            )
            assert sent.status_code == 404, (response_id, action)
    assert audit() == []


def test_htmx_gets_the_tags_panel_back(admin, consultation, items, tags):
    saved = choose_tags(admin, items[0], [tags["Housing"]], headers=HTMX_TAGS)

    assert saved.status_code == 200
    soup = page(saved)
    assert soup.find("html") is None
    assert soup.find("h1") is None
    assert text_of(soup.find("h2")) == "Tags"
    assert text_of(soup.find(class_="saved")) == "Tags saved."
    assert ticked(saved) == ["Housing"]
    assert soup.find("form")["hx-target"] == "#tags"
    assert soup.find(id="notes") is None
    assert tag_names_of(items[0]) == ["Housing"]

    unchanged = choose_tags(admin, items[0], [tags["Housing"]], headers=HTMX_TAGS)
    assert text_of(page(unchanged).find(class_="saved")) == "No change to the tags."


def test_htmx_gets_the_panel_with_its_errors(admin, consultation, items, tags):
    refused = choose_tags(admin, items[0], [tags["Cost"], "abc"], headers=HTMX_TAGS)

    assert refused.status_code == 422
    soup = page(refused)
    assert soup.find("html") is None
    assert soup.find(class_="error-summary") is not None
    assert list(summary_links(refused).values()) == ["tags-1"]
    assert soup.find(class_="saved") is None
    assert tag_names_of(items[0]) == []


def test_htmx_aimed_at_another_part_of_the_page_gets_the_whole_page(
    admin, consultation, items, tags
):
    saved = choose_tags(admin, items[0], [tags["Cost"]], headers={**HTMX_TAGS, "HX-Target": "main"})

    assert saved.status_code == 200
    assert page(saved).find("h1") is not None
    assert tag_names_of(items[0]) == ["Cost"]


def test_without_tags_the_panel_says_so(admin, officer, consultation, items):
    as_admin = page(admin.get(response_url(items[0])))
    as_officer = page(officer.get(response_url(items[0])))

    assert "This consultation has no tags yet." in text_of(as_admin.find(id="tags"))
    assert as_admin.find(id="tags").find("a", href=TAGS_URL) is not None
    assert "An admin can add them." in text_of(as_officer.find(id="tags"))
    assert as_officer.find(id="tags").find("a", href=TAGS_URL) is None
    assert as_admin.find("input", attrs={"name": "tags"}) is None


# --- notes -----------------------------------------------------------------------------------


def test_a_note_is_added_and_shown_and_its_text_stays_out_of_the_audit_log(
    admin, consultation, items
):
    item = items[0]
    secret = "Respondent is my neighbour — declare an interest"

    added = add_note(admin, item, f"  {secret}  ")

    assert added.status_code == 303
    assert where(added) == f"{response_url(item)}#notes"
    shown = admin.get(response_url(item))
    assert flashes(shown) == ["Note added."]
    notes = page(shown).find(id="notes")
    assert [text_of(p) for p in notes.find_all(class_="kept-answer")] == [secret]
    assert text_of(notes.find(class_="note-meta")).startswith(f"{ADMIN_EMAIL}, ")
    assert page(shown).find("textarea", id="text").get_text() == ""
    assert notes_of(item) == [(ADMIN_EMAIL, secret)]
    assert audit() == [(ADMIN_EMAIL, "add_note", f"Added a note to {item.reference}")]
    log = admin.get("/admin/audit").get_data(as_text=True)
    assert "neighbour" not in log
    assert f"Added a note to {item.reference}" in log


def test_every_note_is_shown_the_newest_last(admin, consultation, items):
    for text in ("First look: relevant.", "Second: follow up by phone.", "Third: done."):
        assert add_note(admin, items[1], text).status_code == 303

    notes = page(admin.get(response_url(items[1]))).find(id="notes")

    assert [text_of(p) for p in notes.find_all(class_="kept-answer")] == [
        "First look: relevant.",
        "Second: follow up by phone.",
        "Third: done.",
    ]
    assert notes_of(items[0]) == []


def test_a_note_of_2000_characters_with_a_line_break_as_a_browser_sends_it(
    admin, consultation, items
):
    text = "a" * 1000 + "\r\n" + "b" * 999  # 2,000 characters on the page

    assert add_note(admin, items[0], text).status_code == 303
    assert notes_of(items[0]) == [(ADMIN_EMAIL, "a" * 1000 + "\n" + "b" * 999)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Enter the note"),
        (" \r\n\t ", "Enter the note"),
        ("n" * 2001, "Enter 2,000 characters or fewer"),
    ],
    ids=["empty", "spaces", "too-long"],
)
def test_a_note_that_cannot_be_added_is_refused_with_its_text_kept(
    admin, consultation, items, text, message
):
    refused = add_note(admin, items[0], text)

    assert refused.status_code == 422
    assert page_title(refused) == f"Error: Response {items[0].reference}"
    assert summary_links(refused) == {message: "text"}
    assert field_error(refused, "text") == message
    if text.strip():
        assert page(refused).find("textarea", id="text").get_text() == text
    assert notes_of(items[0]) == []
    assert audit() == []


def test_a_note_is_shown_as_text(admin, consultation, items):
    add_note(admin, items[0], "<script>alert('note')</script>")

    shown = admin.get(response_url(items[0]))

    assert "<script>alert('note')</script>" not in shown.get_data(as_text=True)
    notes = page(shown).find(id="notes")
    assert [text_of(p) for p in notes.find_all(class_="kept-answer")] == [
        "<script>alert('note')</script>"
    ]


def test_htmx_gets_the_notes_panel_back(admin, consultation, items):
    added = add_note(admin, items[0], "Seen.", headers=HTMX_NOTES)

    assert added.status_code == 200
    soup = page(added)
    assert soup.find("html") is None
    assert text_of(soup.find("h2")) == "Notes"
    assert text_of(soup.find(class_="saved")) == "Note added."
    assert [text_of(p) for p in soup.find_all(class_="kept-answer")] == ["Seen."]
    assert soup.find("textarea", id="text").get_text() == ""
    assert soup.find(id="tags") is None


def test_htmx_gets_the_notes_panel_with_its_error_and_the_text_kept(admin, consultation, items):
    text = "x" * 2001

    refused = add_note(admin, items[0], text, headers=HTMX_NOTES)

    assert refused.status_code == 422
    soup = page(refused)
    assert soup.find("html") is None
    assert summary_links(refused) == {"Enter 2,000 characters or fewer": "text"}
    assert soup.find("textarea", id="text").get_text() == text
    assert notes_of(items[0]) == []


# --- officers --------------------------------------------------------------------------------


def test_an_officer_reads_the_tags_but_cannot_define_them(officer, consultation, tags):
    shown = officer.get(TAGS_URL)

    assert shown.status_code == 200
    assert [name for name, _, _ in tag_rows(shown)] == ["Cost", "Housing", "Transport"]
    soup = page(shown)
    assert soup.find("form", action=TAGS_URL) is None
    assert soup.find("input", id="name") is None
    assert soup.find("a", href=f"/admin/tags/{tags['Cost'].id}/edit") is None
    assert soup.find("a", href=f"/admin/tags/{tags['Cost'].id}/delete") is None


def test_an_officer_is_refused_adding_changing_and_deleting_tags(officer, consultation, tags):
    token = csrf_token(officer, "/admin/")
    cost = tags["Cost"].id
    attempts = [
        ("POST", TAGS_URL, {"name": "Mine", "description": ""}),
        ("GET", f"/admin/tags/{cost}/edit", None),
        ("POST", f"/admin/tags/{cost}/edit", {"name": "Changed", "description": ""}),
        ("GET", f"/admin/tags/{cost}/delete", None),
        ("POST", f"/admin/tags/{cost}/delete", {}),
    ]

    for method, url, data in attempts:
        data = None if data is None else {**data, "csrf_token": token}
        refused = officer.open(url, method=method, data=data)
        assert refused.status_code == 403, (method, url)
        assert text_of(page(refused).find("h1")) == "You cannot see this page"

    assert stored_tags() == [("Transport", ""), ("Cost", ""), ("Housing", "")]
    assert audit() == []


def test_an_officer_tags_a_response_and_adds_a_note(officer, consultation, items, tags):
    tagged = choose_tags(officer, items[2], [tags["Transport"]])
    noted = add_note(officer, items[2], "Call back next week.")

    assert (tagged.status_code, noted.status_code) == (303, 303)
    assert tag_names_of(items[2]) == ["Transport"]
    assert notes_of(items[2]) == [(OFFICER_EMAIL, "Call back next week.")]
    assert audit() == [
        (OFFICER_EMAIL, "tag_response", f"Tagged {items[2].reference}: Transport"),
        (OFFICER_EMAIL, "add_note", f"Added a note to {items[2].reference}"),
    ]


# --- the audit log and CSRF ------------------------------------------------------------------


def test_every_change_is_in_the_audit_log(admin, consultation, items):
    post_tag(admin, "Transport")
    db.session.rollback()
    transport = db.session.scalars(select(Tag).filter_by(name="Transport")).one()
    edit_tag(admin, transport, "Travel", "Getting about")
    choose_tags(admin, items[0], [transport])
    add_note(admin, items[0], "Private words")
    token = csrf_token(admin, TAGS_URL)
    admin.post(f"/admin/tags/{transport.id}/delete", data={"csrf_token": token})

    reference = items[0].reference
    assert audit() == [
        (ADMIN_EMAIL, "add_tag", "Added tag Transport"),
        (ADMIN_EMAIL, "change_tag", "Renamed tag Transport to Travel"),
        (ADMIN_EMAIL, "tag_response", f"Tagged {reference}: Travel"),
        (ADMIN_EMAIL, "add_note", f"Added a note to {reference}"),
        (ADMIN_EMAIL, "remove_tag", "Removed tag Travel from 1 responses"),
    ]
    db.session.rollback()
    consultation_ids = set(db.session.scalars(select(AuditEvent.consultation_id)))
    assert consultation_ids == {consultation.id}
    rows = page(admin.get("/admin/audit")).find("tbody").find_all("tr")
    assert [text_of(row.find_all("td")[2]) for row in rows][:2] == [
        "Remove tag: Removed tag Travel from 1 responses",
        f"Add note: Added a note to {reference}",
    ]
    assert "Private words" not in text_of(page(admin.get("/admin/audit")))


@pytest.mark.parametrize("token", [None, "not-a-token"], ids=["missing", "wrong"])
def test_every_coding_form_needs_its_csrf_token(admin, consultation, items, tags, token):
    cost = tags["Cost"].id
    posts = [
        (TAGS_URL, {"name": "New", "description": ""}),
        (f"/admin/tags/{cost}/edit", {"name": "Changed", "description": ""}),
        (f"/admin/tags/{cost}/delete", {}),
        (f"{response_url(items[0])}/tags", {"tags": str(cost)}),
        (f"{response_url(items[0])}/notes", {"text": "A note"}),
    ]

    for url, data in posts:
        if token is not None:
            data = {**data, "csrf_token": token}
        refused = admin.post(url, data=data)
        assert refused.status_code == 400, url
        assert text_of(page(refused).find("h1")) == "Your session has expired"

    assert stored_tags() == [("Transport", ""), ("Cost", ""), ("Housing", "")]
    assert tag_names_of(items[0]) == []
    assert notes_of(items[0]) == []
    assert audit() == []


def test_signed_out_people_cannot_code(client, consultation, items, tags, admin_user):
    token = csrf_token(client, "/admin/login")

    for url, data in [
        (TAGS_URL, {"name": "New"}),
        (f"{response_url(items[0])}/tags", {"tags": str(tags["Cost"].id)}),
        (f"{response_url(items[0])}/notes", {"text": "A note"}),
    ]:
        refused = client.post(url, data={**data, "csrf_token": token})
        assert refused.status_code == 302, url
        assert urlsplit(refused.headers["Location"]).path == "/admin/login"

    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(response_tag)) == 0
    assert notes_of(items[0]) == []
