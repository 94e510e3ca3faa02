"""An admin builds a routed survey from nothing in the survey builder, previews and
publishes it; two respondents take different routes; the admin then changes the live
survey, and both earlier responses still read as they were answered (issue 19).

The survey screens respondents as the "Keep it Local" consultations do: community
organisations see page 2, council commissioners page 3, everyone page 4. Four screening
questions decide who sees what: who you are, whether you deliver contracts now, whether
you did before, and whether you commission from local organisations.

Runs with JavaScript on (htmx swaps each survey step; follow-up questions appear as they
are needed) and off (plain forms and redirects), at a phone's 390x844. Each builder page
is checked with axe and for sideways scroll at 390 and 320 pixels (`look`); with
BROWSER_SCREENSHOTS set to a folder, each is saved there too.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Locator, Page, expect

from tests.support.browser import Check, heading, mark_document, press, sign_in, visit
from tests.support.builder import (
    NewQuestion,
    add_question,
    builder_question,
    fill_question,
    open_question_form,
    save_question,
    survey_section,
)

pytestmark = pytest.mark.browser

SLUG = "keep-it-local"
TITLE = "Keep it local: buying services from local organisations"
ADMIN_PAGE = f"/admin/consultations/{SLUG}"
BUILDER = f"{ADMIN_PAGE}/survey"
SURVEY = f"/consultations/{SLUG}/survey"
REFERENCE = re.compile(r"^SV-[23456789ABCDEFGHJKMNPQRSTWXYZ]{6}$")
BANNER = "This is a preview of a draft consultation. Nothing you send is stored or emailed."

# Page 1, for everyone.
ROLE = "Which of these describes you best?"
ORGANISATION = "A community organisation"
COMMISSIONER = "A council commissioner"
SOMEONE_ELSE = "Someone else"
# Page 2, for community organisations.
DELIVERS = "Do you deliver public service contracts now?"
DELIVERED = "Have you delivered public service contracts before?"
STOPPED = "What made you stop?"
# Page 3, for council commissioners.
COMMISSIONS = "Do you buy services from local organisations?"
CONTRACTS = "How many contracts did you give to local organisations last year?"
# Page 4, for everyone.
FAIRNESS = "How fair is the way councils buy services?"
HELPS = "What would help local organisations win contracts?"
HELPS_NOW = "What would most help local organisations win council contracts?"
HELPS_KEY = "what_would_help_local_organisations_win"  # made from the first wording
ANYTHING_ELSE = "Is there anything else you want to tell us?"
WORKSHOP = "Would you come to a workshop about this?"
WORKSHOP_KEY = "would_you_come_to_a_workshop_about_this"
SMALLER, SIMPLER, FASTER = "Smaller contracts", "Simpler forms", "Faster payment"
PAGE_TITLES = ["About you", "Delivering services", "Commissioning", "Your views"]

# Built in this order, each through the builder's form. Page 3 is first called
# "Buying services" and renamed.
QUESTIONS = [
    NewQuestion(
        ROLE,
        "single",
        new_page="About you",
        required=True,
        options=(ORGANISATION, COMMISSIONER, SOMEONE_ELSE),
    ),
    NewQuestion(
        DELIVERS,
        "yesno",
        new_page="Delivering services",
        required=True,
        shown_if={ROLE: (ORGANISATION,)},
    ),
    NewQuestion(DELIVERED, "yesno", page=2, required=True, shown_if={DELIVERS: ("No",)}),
    NewQuestion(
        STOPPED,
        "longtext",
        page=2,
        hint="For example, the contracts got too big or the paperwork took too long.",
        max_length="2000",
        shown_if={DELIVERED: ("Yes",)},
    ),
    NewQuestion(
        COMMISSIONS,
        "yesno",
        new_page="Buying services",
        required=True,
        shown_if={ROLE: (COMMISSIONER,)},
    ),
    NewQuestion(
        CONTRACTS, "number", page=3, lowest="0", highest="500", shown_if={COMMISSIONS: ("Yes",)}
    ),
    NewQuestion(
        FAIRNESS,
        "scale",
        new_page="Your views",
        required=True,
        scale=("Very unfair", "Very fair"),
    ),
    NewQuestion(HELPS, "multi", page=4, options=(SMALLER, SIMPLER, FASTER), allow_other=True),
    NewQuestion(ANYTHING_ELSE, "longtext", page=4, max_length="3000"),
]

ROUTES = [
    f"If you answer '{ORGANISATION}' to '{ROLE}', you see pages 1, 2 and 4.",
    f"If you answer '{COMMISSIONER}' to '{ROLE}', you see pages 1, 3 and 4.",
    "Anyone else sees pages 1 and 4.",
]

ORGANISATION_NAME = "Riverside Lunch Club"
ORGANISATION_STORY = "The meals contract was joined with three others and we could not bid."
COMMISSIONER_VIEW = "We split our contracts into lots this year."


@pytest.fixture
def links_to_this_server(app: Flask, live_server) -> None:
    """Links the site shows (the preview link among them) are built on SITE_URL."""
    app.config["SITE_URL"] = live_server.url


def url_of(step: str) -> re.Pattern[str]:
    return re.compile(rf"{re.escape(SURVEY)}{re.escape(step)}(\?.*)?$")


def group(page: Page, prompt: str) -> Locator:
    """A question asked with radios or checkboxes: its fieldset, named by its legend."""
    return page.get_by_role("group", name=prompt, exact=True)


def flash(page: Page) -> Locator:
    return page.locator("#flashes")


def answer_row(page: Page, prompt: str) -> Locator:
    """A row of a list of answers (the admin's response page, check your answers)."""
    return page.locator(".summary-list > div").filter(
        has=page.locator("dt", has_text=re.compile(rf"^{re.escape(prompt)}$"))
    )


# --- building ---------------------------------------------------------------------------


def first_question_with_an_error(admin: Page, look) -> None:
    """The first question, sent with one option: refused by its field, what was typed kept."""
    first = QUESTIONS[0]
    open_question_form(admin, first)
    expect(admin.get_by_label("Page", exact=True)).to_have_value("new")
    conditions = admin.get_by_role("group", name="Show this question only to some people")
    expect(conditions).to_contain_text("No earlier question can decide who sees this one.")
    look(admin, "builder-question-new")
    fill_question(admin, first)
    admin.get_by_label("Options", exact=True).fill(ORGANISATION)
    with admin.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith("/questions/new")
    ) as answer:
        press(admin, "Save the question")
    assert answer.value.status == 422
    message = "Enter at least 2 options, one on each line"
    summary = admin.get_by_role("alert")
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(summary.get_by_role("link", name=message)).to_be_visible()
    expect(admin).to_have_title(re.compile(r"^Error: Add a question"))
    expect(admin.get_by_label("Options", exact=True)).to_have_accessible_description(
        re.compile(re.escape(f"Error: {message}"))
    )
    expect(admin.get_by_label("Question", exact=True)).to_have_value(ROLE)
    expect(admin.get_by_label("Title of the new page")).to_have_value("About you")
    expect(
        admin.get_by_role("group", name="Type of answer").get_by_label("Single choice")
    ).to_be_checked()
    look(admin, "builder-question-error")
    admin.get_by_label("Options", exact=True).fill("\n".join(first.options))
    save_question(admin)
    expect(builder_question(admin, ROLE)).to_have_count(1)


def build_the_survey(admin: Page, look) -> None:
    """From an empty Survey tab to the four pages, through the builder's forms only."""
    admin.get_by_role("navigation", name=TITLE).get_by_role("link", name="Survey").click()
    expect(admin).to_have_url(re.compile(rf"{re.escape(BUILDER)}$"))
    expect(heading(admin)).to_have_text("Survey")
    expect(admin.locator("main")).to_contain_text("The survey has no questions yet.")
    look(admin, "builder-empty")

    first_question_with_an_error(admin, look)
    for question in QUESTIONS[1:]:
        add_question(admin, question)

    # A condition names only earlier questions that can route, with their answers.
    admin.get_by_role("link", name="Add a question to page 4").click()
    conditions = admin.get_by_role("group", name="Show this question only to some people")
    expect(conditions.locator(".builder-decider > legend")).to_have_text(
        [ROLE, DELIVERS, DELIVERED, COMMISSIONS, FAIRNESS, HELPS]
    )
    expect(group(conditions, ROLE).get_by_role("checkbox")).to_have_count(3)
    admin.get_by_role("link", name="Survey", exact=True).click()
    expect(heading(admin)).to_have_text("Survey")

    # Page 3 gets the title it should have had.
    admin.get_by_role("link", name="Rename page 3").click()
    expect(heading(admin)).to_have_text("Rename page 3")
    expect(admin.get_by_label("Page title")).to_have_value("Buying services")
    look(admin, "builder-rename-page")
    admin.get_by_label("Page title").fill("Commissioning")
    press(admin, "Save the title")
    expect(heading(admin)).to_have_text("Survey")
    expect(flash(admin)).to_contain_text("Your change is saved.")


def check_the_built_survey(admin: Page, look) -> None:
    """The overview: each page and its questions, who sees them, and the routes in words."""
    expect(admin.locator(".builder-page h2")).to_have_text(
        [f"Page {n} {title}" for n, title in enumerate(PAGE_TITLES, start=1)]
    )
    expect(survey_section(admin, 1).locator(".builder-options li")).to_have_text(
        [ORGANISATION, COMMISSIONER, SOMEONE_ELSE]
    )
    expect(builder_question(admin, DELIVERED)).to_contain_text(
        f"Shown only to people who answer 'No' to '{DELIVERS}'."
    )
    expect(builder_question(admin, COMMISSIONS)).to_contain_text(
        f"Shown only to people who answer '{COMMISSIONER}' to '{ROLE}'."
    )
    expect(builder_question(admin, HELPS).locator(".builder-options li")).to_have_text(
        [SMALLER, SIMPLER, FASTER, "Other, please specify"]
    )
    expect(builder_question(admin, HELPS)).to_contain_text(f"Column: {HELPS_KEY}")
    expect(builder_question(admin, FAIRNESS)).not_to_contain_text("Shown only to")
    expect(admin.locator("#problems")).to_have_count(0)
    routes = admin.get_by_role("heading", name="Routes through the survey")
    expect(admin.locator("#routes + ul > li")).to_have_text(ROUTES)
    expect(routes).to_be_visible()
    look(admin, "builder-survey")


def look_at_a_deletion_and_leave_it(admin: Page, look) -> None:
    """The confirm page before deleting a question others depend on; nothing is deleted."""
    builder_question(admin, DELIVERS).get_by_role("link", name=f"Delete '{DELIVERS}'").click()
    expect(heading(admin)).to_have_text(f"Delete the question '{DELIVERS}'?")
    expect(admin.locator("main")).to_contain_text(DELIVERED)
    expect(admin.get_by_role("button", name="Delete the question")).to_be_visible()
    look(admin, "builder-confirm-delete")
    admin.get_by_role("link", name="Go back to the survey without changing it").click()
    expect(heading(admin)).to_have_text("Survey")
    expect(builder_question(admin, DELIVERS)).to_have_count(1)


# --- preview and publishing -------------------------------------------------------------


def preview_from_the_builder(admin: Page, javascript: bool, check: Check) -> None:
    """The builder's preview, in the admin's own browser: the whole survey from its start,
    and one page on its own."""
    press(admin, "Preview the survey")
    expect(admin).to_have_url(url_of(""))
    banner = admin.get_by_role("region", name="Preview")
    expect(banner).to_contain_text(BANNER)
    check(admin)
    press(admin, "Start now")
    expect(heading(admin)).to_have_text("About you")
    group(admin, ROLE).get_by_label(COMMISSIONER).check()
    continue_to(admin, "/pages/3", "Commissioning")
    if javascript:  # the follow-up appears once it applies
        expect(admin.get_by_label(CONTRACTS)).to_be_hidden()
        group(admin, COMMISSIONS).get_by_label("Yes", exact=True).check()
    expect(admin.get_by_label(CONTRACTS)).to_be_visible()
    expect(banner).to_contain_text(BANNER)
    check(admin)
    visit(admin, BUILDER)

    press(admin, "Preview page 2")
    expect(admin).to_have_url(url_of("/pages/2"))
    expect(heading(admin)).to_have_text("Delivering services")
    expect(group(admin, DELIVERS)).to_be_visible()
    expect(banner).to_contain_text(BANNER)
    banner.get_by_role("link", name="Back to its page in the admin area").click()
    expect(heading(admin)).to_have_text(TITLE)


def preview_as_a_respondent(admin: Page, colleague: Page, check: Check) -> None:
    """The draft's preview link, for a colleague without an account: the survey routes a
    community organisation to page 2."""
    expect(admin.locator("#checklist")).to_have_text("Ready to publish")
    press(admin, "Make a preview link")
    link = admin.get_by_label("Your new preview link").input_value()

    visit(colleague, link)
    expect(heading(colleague)).to_have_text(TITLE)
    expect(colleague.get_by_role("region", name="Preview")).to_contain_text(BANNER)
    start_survey(colleague)
    group(colleague, ROLE).get_by_label(ORGANISATION).check()
    press(colleague, "Continue")
    expect(colleague).to_have_url(url_of("/pages/2"))
    expect(heading(colleague)).to_have_text("Delivering services")
    expect(group(colleague, DELIVERS)).to_be_visible()
    expect(colleague.get_by_role("region", name="Preview")).to_contain_text(BANNER)
    check(colleague)
    press(colleague, "Leave the preview")
    expect(heading(colleague)).to_have_text("Consultations")


def publish(admin: Page) -> None:
    press(admin, "Publish")
    expect(flash(admin)).to_contain_text(f"{TITLE} is published.")
    expect(admin.locator("main .meta")).to_contain_text("Open")


# --- respondents ------------------------------------------------------------------------


def start_survey(page: Page) -> None:
    """From the consultation's page to the survey's first page."""
    page.get_by_role("link", name="Answer the survey").click()
    expect(page).to_have_url(url_of(""))
    press(page, "Start now")
    expect(page).to_have_url(url_of("/pages/1"))
    expect(heading(page)).to_have_text("About you")


def continue_to(page: Page, step: str, title: str) -> None:
    """Press Continue and wait for the next step to be on screen (htmx swaps it in)."""
    press(page, "Continue")
    expect(page).to_have_url(url_of(step))
    expect(heading(page)).to_have_text(title)


def about_the_respondent(page: Page, name: str) -> None:
    """The details step, then the check page."""
    page.get_by_label("For an organisation").check()
    page.get_by_label("Name of your organisation").fill(name)
    page.get_by_label("Your name").fill("Lee Hart" if name == ORGANISATION_NAME else "Priya Shah")
    page.get_by_label("Yes, anonymously").check()
    page.get_by_label("I agree to you keeping my response").check()
    continue_to(page, "/check", "Check your answers before sending them")


def send(page: Page, clock) -> str:
    """Send from the check page after a person's pause; the reference it is given."""
    clock.advance(seconds=10)  # longer than the bot guard's SUBMIT_MIN_SECONDS
    press(page, "Send response")
    expect(page).to_have_url(url_of("/confirmation"))
    expect(heading(page)).to_have_text("Response sent")
    reference = page.locator(".reference").inner_text().strip()
    assert REFERENCE.match(reference), reference
    return reference


def a_community_organisation_answers(page: Page, javascript: bool, clock, check: Check) -> str:
    visit(page, f"/consultations/{SLUG}")
    start_survey(page)
    expect(page.get_by_text("Page 1 of 3")).to_be_visible()
    check(page)
    mark_document(page, javascript)
    group(page, ROLE).get_by_label(ORGANISATION).check()
    continue_to(page, "/pages/2", "Delivering services")

    # The follow-ups appear as they apply with JavaScript; without, each says when.
    if javascript:
        expect(group(page, DELIVERED)).to_be_hidden()
        expect(page.get_by_label(STOPPED)).to_be_hidden()
    else:
        expect(group(page, DELIVERED)).to_contain_text("Answer this if you chose ‘No’ above.")
    group(page, DELIVERS).get_by_label("No", exact=True).check()
    group(page, DELIVERED).get_by_label("Yes", exact=True).check()
    page.get_by_label(STOPPED).fill(ORGANISATION_STORY)
    check(page)
    continue_to(page, "/pages/4", "Your views")

    group(page, FAIRNESS).get_by_label("2", exact=True).check()
    helps = group(page, HELPS)
    helps.get_by_label(SIMPLER).check()
    helps.get_by_label(FASTER).check()
    continue_to(page, "/details", "About you and your response")
    about_the_respondent(page, ORGANISATION_NAME)
    if javascript:
        assert page.evaluate("window.sameDocument") is True, "a step reloaded the whole page"

    for prompt, answer in [
        (ROLE, ORGANISATION),
        (DELIVERS, "No"),
        (DELIVERED, "Yes"),
        (STOPPED, ORGANISATION_STORY),
        (FAIRNESS, "2"),
        (HELPS, f"{SIMPLER}; {FASTER}"),
    ]:
        expect(answer_row(page, prompt).locator("dd.answer")).to_have_text(answer)
    expect(answer_row(page, COMMISSIONS)).to_have_count(0)
    check(page)
    return send(page, clock)


def a_council_commissioner_answers(page: Page, clock, check: Check) -> str:
    visit(page, f"/consultations/{SLUG}")
    start_survey(page)
    group(page, ROLE).get_by_label(COMMISSIONER).check()
    continue_to(page, "/pages/3", "Commissioning")
    group(page, COMMISSIONS).get_by_label("Yes", exact=True).check()
    page.get_by_label(CONTRACTS).fill("12")
    check(page)
    continue_to(page, "/pages/4", "Your views")
    group(page, FAIRNESS).get_by_label("4", exact=True).check()
    group(page, HELPS).get_by_label(SMALLER).check()
    page.get_by_label(ANYTHING_ELSE).fill(COMMISSIONER_VIEW)
    continue_to(page, "/details", "About you and your response")
    about_the_respondent(page, "Northshire County Council")
    for prompt, answer in [
        (ROLE, COMMISSIONER),
        (COMMISSIONS, "Yes"),
        (CONTRACTS, "12"),
        (HELPS, SMALLER),
        (ANYTHING_ELSE, COMMISSIONER_VIEW),
    ]:
        expect(answer_row(page, prompt).locator("dd.answer")).to_have_text(answer)
    expect(answer_row(page, DELIVERS)).to_have_count(0)
    return send(page, clock)


# --- changing the live survey -----------------------------------------------------------


def confirm_the_change(admin: Page, look, said: list[str], name: str) -> None:
    """The confirm page says what the change does and to how many; the admin confirms."""
    expect(heading(admin)).to_have_text("Check this change")
    main = admin.locator("main")
    for line in said:
        expect(main).to_contain_text(line)
    expect(main).to_contain_text("2 responses have been sent, and no surveys are in progress.")
    look(admin, name)
    press(admin, "Make this change")
    expect(heading(admin)).to_have_text("Survey")
    expect(flash(admin)).to_contain_text(
        "The survey is changed. People who start it now answer the new version."
    )


def change_the_live_survey(admin: Page, look) -> None:
    """Reword a question and take out an option; then add a question."""
    admin.get_by_role("navigation", name=TITLE).get_by_role("link", name="Survey").click()
    expect(admin.locator("main")).to_contain_text("People have answered this survey")
    look(admin, "builder-survey-answered")
    builder_question(admin, HELPS).get_by_role("link", name=f"Change '{HELPS}'").click()
    expect(heading(admin)).to_have_text("Change the question")
    expect(admin.get_by_label("Options", exact=True)).to_have_value(
        "\n".join([SMALLER, SIMPLER, FASTER])
    )
    expect(admin.get_by_label("Column name in the export")).to_have_count(0)
    expect(admin.locator("main")).to_contain_text(f"Column name in the export: {HELPS_KEY}.")
    look(admin, "builder-question-edit")
    admin.get_by_label("Question", exact=True).fill(HELPS_NOW)
    admin.get_by_label("Options", exact=True).fill("\n".join([SMALLER, FASTER]))
    press(admin, "Save the question")
    confirm_the_change(
        admin,
        look,
        [
            f"Removes the option '{SIMPLER}' from '{HELPS_NOW}'.",
            f"'{SIMPLER}' was chosen for '{HELPS_NOW}' in 1 response.",
        ],
        "builder-confirm-change",
    )
    expect(builder_question(admin, HELPS_NOW).locator(".builder-options li")).to_have_text(
        [SMALLER, FASTER, "Other, please specify"]
    )

    # Nobody has answered the survey as it is now (version 2), but people answered an
    # earlier one: a new question is structural, so the builder asks all the same.
    workshop = NewQuestion(WORKSHOP, "yesno", page=4)
    open_question_form(admin, workshop)
    fill_question(admin, workshop)
    press(admin, "Save the question")
    confirm_the_change(
        admin,
        look,
        [
            f"Adds the question '{WORKSHOP}'.",
            "No responses answered the survey as it is now; the others answered an earlier"
            " version.",
        ],
        "builder-confirm-add",
    )
    expect(survey_section(admin, 4).locator(".builder-prompt")).to_have_text(
        [FAIRNESS, HELPS_NOW, ANYTHING_ELSE, WORKSHOP]
    )
    expect(admin.locator("#routes + ul > li")).to_have_text(ROUTES)


# --- reading the responses --------------------------------------------------------------


def read_the_responses(admin: Page, check: Check, organisation: str, commissioner: str) -> None:
    """The list, and each response with the questions and options it was answered with."""
    admin.get_by_role("navigation", name=TITLE).get_by_role("link", name="Responses").click()
    found = admin.locator("#found")
    expect(found.get_by_role("status")).to_have_text("2 responses received.")
    expect(found.locator("tbody tr td:first-child")).to_have_text([commissioner, organisation])
    check(admin)

    found.get_by_role("link", name=organisation, exact=True).click()
    expect(heading(admin)).to_have_text(f"Response {organisation}")
    for prompt, answer in [
        (ROLE, ORGANISATION),
        (DELIVERS, "No"),
        (DELIVERED, "Yes"),
        (STOPPED, ORGANISATION_STORY),
        (FAIRNESS, "2"),
        (HELPS, f"{SIMPLER}; {FASTER}"),
    ]:
        expect(answer_row(admin, prompt).locator("dd.answer")).to_have_text(answer)
    # Asked with the first wording, and never asked the question added since.
    expect(answer_row(admin, HELPS_NOW)).to_have_count(0)
    expect(answer_row(admin, WORKSHOP)).to_have_count(0)
    expect(answer_row(admin, COMMISSIONS)).to_have_count(0)
    check(admin)

    admin.get_by_role("link", name="All responses").click()
    found.get_by_role("link", name=commissioner, exact=True).click()
    expect(heading(admin)).to_have_text(f"Response {commissioner}")
    for prompt, answer in [
        (ROLE, COMMISSIONER),
        (COMMISSIONS, "Yes"),
        (CONTRACTS, "12"),
        (FAIRNESS, "4"),
        (HELPS, SMALLER),
        (ANYTHING_ELSE, COMMISSIONER_VIEW),
    ]:
        expect(answer_row(admin, prompt).locator("dd.answer")).to_have_text(answer)
    expect(answer_row(admin, WORKSHOP)).to_have_count(0)
    expect(answer_row(admin, DELIVERS)).to_have_count(0)
    check(admin)
    admin.get_by_role("link", name="All responses").click()
    expect(heading(admin)).to_have_text(f"Responses to {TITLE}")


def chart_numbers(admin: Page, key: str) -> Locator:
    return admin.locator(f"section.chart:has(#chart-{key}) tbody tr")


def read_the_summary(admin: Page, check: Check) -> None:
    """The charts count both responses, the option taken out included."""
    admin.get_by_role("navigation", name=TITLE).get_by_role("link", name="Summary").click()
    expect(heading(admin)).to_have_text(f"Summary of {TITLE}")
    expect(admin.locator("main")).to_contain_text("2 survey responses.")
    role_key = "which_of_these_describes_you_best"
    expect(chart_numbers(admin, role_key)).to_have_text(
        [
            re.compile(rf"^{re.escape(ORGANISATION)}\s*1\s*50%$"),
            re.compile(rf"^{re.escape(COMMISSIONER)}\s*1\s*50%$"),
            re.compile(rf"^{re.escape(SOMEONE_ELSE)}\s*0\s*0%$"),
        ]
    )
    expect(admin.locator(f"#chart-{HELPS_KEY}")).to_have_text(HELPS_NOW)
    helps = {
        row.locator("td").first.inner_text(): row.locator("td").nth(1).inner_text()
        for row in chart_numbers(admin, HELPS_KEY).all()
    }
    assert helps == {SMALLER: "1", FASTER: "1", "Other": "0", SIMPLER: "1"}, helps
    check(admin)


def read_the_export(admin: Page, organisation: str, commissioner: str) -> None:
    """The CSV: both responses answered version 1, the removed option kept as answered."""
    admin.get_by_role("navigation", name=TITLE).get_by_role("link", name="Responses").click()
    with admin.expect_download() as download_info:
        admin.locator("#found").get_by_role("link", name="CSV file", exact=True).click()
    download = download_info.value
    assert download.failure() is None
    text = Path(download.path()).read_bytes().decode("utf-8-sig")
    rows = {row["Reference"]: row for row in csv.DictReader(io.StringIO(text, newline=""))}
    assert set(rows) == {organisation, commissioner}
    assert rows[organisation]["Survey version"] == "1"
    assert rows[commissioner]["Survey version"] == "1"
    assert rows[organisation][HELPS_KEY] == f"{SIMPLER}; {FASTER}"
    assert rows[commissioner][HELPS_KEY] == SMALLER
    assert rows[organisation][WORKSHOP_KEY] == rows[commissioner][WORKSHOP_KEY] == ""
    assert rows[organisation]["which_of_these_describes_you_best"] == ORGANISATION
    assert rows[commissioner]["which_of_these_describes_you_best"] == COMMISSIONER


def test_an_admin_builds_a_routed_survey_and_changes_it_once_answered(
    page,
    open_page,
    javascript,
    clock,
    admin_user,
    make_consultation,
    links_to_this_server,
    assert_accessible,
    look,
):
    make_consultation(slug=SLUG, title=TITLE, published_at=None, channels=["survey"])
    admin = page
    sign_in(admin, assert_accessible)
    visit(admin, ADMIN_PAGE)
    expect(admin.locator("main .meta")).to_contain_text("Draft")
    expect(admin.locator("#checklist")).to_contain_text(
        "Add the survey's questions, or stop offering the survey"
    )

    build_the_survey(admin, look)
    check_the_built_survey(admin, look)
    look_at_a_deletion_and_leave_it(admin, look)

    preview_from_the_builder(admin, javascript, assert_accessible)
    preview_as_a_respondent(admin, open_page(), assert_accessible)
    publish(admin)

    organisation = a_community_organisation_answers(
        open_page(), javascript, clock, assert_accessible
    )
    commissioner = a_council_commissioner_answers(open_page(), clock, assert_accessible)

    change_the_live_survey(admin, look)
    read_the_responses(admin, assert_accessible, organisation, commissioner)
    read_the_summary(admin, assert_accessible)
    read_the_export(admin, organisation, commissioner)
