"""Steps in the survey builder's pages as an admin at a browser takes them.

The pages are Playwright's; the builder is app/admin/builder (templates/admin/builder).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from playwright.sync_api import Locator, Page, expect

from tests.support.browser import heading, press

# The type of answer as the question form's radios name it (app.survey.survey_parts.TYPE_NAMES).
TYPE_LABELS = {
    "single": "Single choice",
    "multi": "Multiple choice",
    "text": "Short text",
    "longtext": "Long text",
    "yesno": "Yes or no",
    "scale": "Scale",
    "email": "Email address",
    "number": "Number",
}
SHOW_IF = "Show this question only to some people (optional)"


@dataclass(frozen=True)
class NewQuestion:
    """A question as an admin types it into the builder's form.

    `page` is the number of the page it goes on, or None for a new page at the end
    titled `new_page`; `shown_if` maps
    an earlier question's prompt to the answers, as labelled, that lead to this one.
    """

    prompt: str
    type: str
    page: int | None = None
    new_page: str = ""
    required: bool = False
    hint: str = ""
    options: tuple[str, ...] = ()
    allow_other: bool = False
    scale: tuple[str, str] = ("", "")
    lowest: str = ""
    highest: str = ""
    max_length: str = ""
    shown_if: dict[str, tuple[str, ...]] = field(default_factory=dict)


def survey_section(page: Page, number: int) -> Locator:
    """A page of the survey on the builder's overview, as its own region."""
    return page.locator(f"section#page-{number}")


def builder_question(admin: Page, prompt: str) -> Locator:
    """A question as the builder's overview lists it, found by its prompt."""
    return admin.locator(".builder-questions > li").filter(
        has=admin.locator(".builder-prompt", has_text=re.compile(rf"^{re.escape(prompt)}$"))
    )


def open_question_form(admin: Page, question: NewQuestion) -> None:
    """From the survey's page, follow the link that adds a question where it goes."""
    if question.page is None:
        admin.get_by_role("link", name="Add a question on a new page").click()
    else:
        admin.get_by_role("link", name=f"Add a question to page {question.page}").click()
    expect(heading(admin)).to_have_text("Add a question")
    if question.page is not None:  # the link chose its page
        expect(admin.get_by_label("Page", exact=True)).to_have_value(str(question.page))


def add_question(admin: Page, question: NewQuestion) -> None:
    """Add a question through the form, and see it on the survey's page."""
    open_question_form(admin, question)
    fill_question(admin, question)
    save_question(admin)
    expect(admin.locator("#flashes")).to_contain_text("The survey is changed.")
    expect(builder_question(admin, question.prompt)).to_have_count(1)


def fill_question(admin: Page, question: NewQuestion) -> None:
    """Fill in the question form with everything `question` says."""
    admin.get_by_label("Question", exact=True).fill(question.prompt)
    if question.hint:
        admin.get_by_label("Hint text (optional)").fill(question.hint)
    admin.get_by_role("group", name="Type of answer").get_by_label(
        TYPE_LABELS[question.type], exact=True
    ).check()
    required = admin.get_by_label("People must answer this question")
    required.set_checked(question.required)
    if question.options:
        admin.get_by_label("Options", exact=True).fill("\n".join(question.options))
    if question.allow_other:
        admin.get_by_label(re.compile(r"^Add 'Other, please specify'")).check()
    if any(question.scale):
        admin.get_by_label("Label for 1").fill(question.scale[0])
        admin.get_by_label("Label for 5").fill(question.scale[1])
    if question.lowest:
        admin.get_by_label("Lowest number").fill(question.lowest)
    if question.highest:
        admin.get_by_label("Highest number").fill(question.highest)
    if question.max_length:
        admin.get_by_label("Longest answer, in characters").fill(question.max_length)
    page_field = admin.get_by_label("Page", exact=True)
    if question.page is None:
        page_field.select_option(label="A new page at the end")
        admin.get_by_label("Title of the new page").fill(question.new_page)
    else:
        page_field.select_option(str(question.page))
    tick_conditions(admin, question.shown_if)


def tick_conditions(admin: Page, shown_if: dict[str, tuple[str, ...]]) -> None:
    """Tick, under each earlier question named, the answers that lead to this one."""
    conditions = admin.get_by_role("group", name=SHOW_IF)
    for prompt, answers in shown_if.items():
        decider = conditions.get_by_role("group", name=prompt, exact=True)
        for answer in answers:
            decider.get_by_label(answer, exact=True).check()


def save_question(admin: Page) -> None:
    """Save the question form and land back on the survey's page."""
    press(admin, "Save the question")
    expect(heading(admin)).to_have_text("Survey")
