"""A respondent changes a survey response they sent, from the link in their receipt.

The receipt is read from the real SMTP server and its link followed. "Change your
response" opens a change draft at the check page; any answer can be changed there
(routing applies) and the change is sent once: the response keeps its reference, gains a
version, keeps the old one for the admin, is counted afresh in the charts, and one alert
and one receipt say what changed. The survey is tests/support/factories.py's: a council
officer answers pages 1, 3 and 4; a community organisation pages 1, 2 and 4.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.intake import links
from app.intake.changes import ChangeSending, Outcome, apply_change
from app.models import DRAFT, SUBMITTED, ChoiceAnswer, Response, ResponseVersion
from app.privacy.withdrawal import withdraw
from app.respondents.services import send_new_links
from app.survey import services
from app.survey.changes import LINKS_KEY
from tests.support.actors import Admin
from tests.support.clients import new_browser
from tests.support.concurrency import at_once
from tests.support.factories import SLUG
from tests.support.outbox import outbox
from tests.support.pages import (
    h1_text,
    hidden_fields,
    kept_on_closed_page,
    page,
    stamped_form,
    text_of,
    where,
)
from tests.support.respondents import (
    OFFICER,
    audited,
    deliver_due,
    issued_link,
    link_in,
    links_in_new_links,
    send_evidence,
    token_of,
)
from tests.support.survey import (
    CHECK,
    DETAILS,
    DETAILS_URL,
    OFFICER_ROUTE,
    ORGANISATION,
    ORGANISATION_ROUTE,
    RESIDENT,
    RESPONDENT,
    STORY,
    SURVEY,
    answer,
    open_step,
    page_url,
    post_form,
    responses,
    send,
    send_form,
    take_route,
)

ROLE = "Which best describes you?"
COMMISSIONS = "Do you commission services?"
DELIVERS = "Do you deliver public service contracts today?"
STORY_PROMPT = "Tell us about your experience"
CHANGED_STORY = "Since I wrote, two more contracts went to the same supplier."
SENT = "Your changes have been sent. We have emailed you a receipt."
NOT_HERE = "These changes are no longer open in this window"
CONFLICT = "Your response was changed somewhere else"
CHANGE_SENT = f"{SURVEY}/change-sent"
CHANGE_ENDED = f"{SURVEY}/change-ended"
ALREADY_SENT = "You have already sent these changes"
NO_LONGER_OPEN = "These changes are no longer open"

# Changing the role from council officer to community organisation drops page 3 from
# the route, with its answers, and brings in page 2.
TO_ORGANISATION = {"q_role": ORGANISATION, "q_postcode": "AB1 2CD"}


# --- helpers ---------------------------------------------------------------------------------


def sends_survey(client, clock, smtp_server, route=OFFICER_ROUTE) -> str:
    """Send a survey response and read its receipt from the mail server: the link's path."""
    take_route(client, route)
    assert where(send(client, clock)) == f"{SURVEY}/confirmation"
    deliver_due(clock)
    receipt = smtp_server.to(RESPONDENT)[-1]
    return link_in(receipt.text)


def change_url(browser, link: str) -> str:
    """The "Change your response" button on the response's page."""
    shown = browser.get(link)
    assert shown.status_code == 200, shown.status_code
    button = page(shown).find("a", string="Change your response")
    assert button is not None, "no change button"
    return button["href"]


def starts_change(browser, link: str):
    """Press "Change your response": the check page of the change."""
    opened = browser.get(change_url(browser, link))
    assert where(opened) == CHECK
    return open_step(browser, CHECK)


def becomes_organisation(browser) -> None:
    """From the check page, change the role, which changes the route, and answer page 2."""
    back_to_check = {"return": "check"}
    changed = post_form(browser, page_url(1, **back_to_check), TO_ORGANISATION)
    assert where(changed) == page_url(2, **back_to_check)
    assert where(post_form(browser, page_url(2, **back_to_check), ORGANISATION_ROUTE[2])) == CHECK


def changes_story(browser, story: str = CHANGED_STORY):
    """Change the answer on page 4 from the check page."""
    changed = post_form(
        browser, page_url(4, **{"return": "check"}), {**OFFICER_ROUTE[4], "q_story": story}
    )
    assert where(changed) == CHECK, changed.status_code
    return changed


def sent_response() -> Response:
    db.session.rollback()
    [response] = db.session.scalars(select(Response).filter_by(status=SUBMITTED))
    return response


def change_drafts() -> list[Response]:
    db.session.rollback()
    return list(db.session.scalars(select(Response).where(Response.amends_id.is_not(None))))


def chosen(response: Response) -> set[tuple[str, str]]:
    """What the charts count for the response."""
    rows = db.session.scalars(select(ChoiceAnswer).filter_by(response_id=response.id))
    return {(row.question_key, row.option) for row in rows}


def flashes(response) -> list[str]:
    return [text_of(p) for p in page(response).select("#flashes p")]


def held_links(browser) -> dict[str, str]:
    """The respondents' links the browser's cookie holds, by response."""
    with browser.session_transaction() as session:
        return dict(session.get(LINKS_KEY, {}))


def shows(browser, path: str) -> str:
    """The heading of the page the browser was sent to."""
    return h1_text(open_step(browser, path))


# --- the journey -----------------------------------------------------------------------------


def test_a_change_that_changes_the_route_is_sent_once_with_its_versions_emails_and_counts(
    client, clock, survey, smtp_server
):
    link = sends_survey(client, clock, smtp_server)
    first = sent_response()
    reference = first.reference
    assert ("commissions", "Yes") in chosen(first)

    check = starts_change(client, link)
    assert h1_text(check) == "Check your changes before sending them"
    assert page(check).find("button", string="Send your changes") is not None
    assert page(check).find("a", class_="back-link")["href"] == link
    becomes_organisation(client)
    clock.advance(minutes=2)
    sent = send(client, clock)

    assert where(sent) == link
    shown = client.get(link)
    assert flashes(shown) == [SENT]
    response = sent_response()
    assert (response.reference, response.version, response.late) == (reference, 2, False)
    assert response.answers["role"] == ORGANISATION
    assert "commissions" not in response.answers  # the route no longer reaches page 3
    assert response.changed_at == clock.now
    [older] = response.versions
    assert (older.number, older.made_at) == (1, first.submitted_at)
    assert [ROLE, "Council officer"] in older.rows
    assert [COMMISSIONS, "Yes"] in older.rows
    assert chosen(response) == {
        ("role", ORGANISATION),
        ("delivers_now", "Yes"),
        ("obstacles", "Paperwork"),
        ("obstacles", "Other"),
        ("confidence", "2"),
    }
    assert change_drafts() == []
    assert ROLE in text_of(page(shown)) and ORGANISATION in text_of(page(shown))

    deliver_due(clock)
    [alert] = [m for m in smtp_server.to(OFFICER) if "changed" in str(m.message["Subject"])]
    receipts = smtp_server.to(RESPONDENT)
    assert len(receipts) == 2  # the first receipt, then the change's
    receipt = receipts[-1].text.replace("\r\n", "\n")
    assert f"Your reference number is still {reference}" in receipt
    assert f"{ROLE}\nBefore: Council officer\nNow: {ORGANISATION}" in receipt
    assert f"{COMMISSIONS}\nBefore: Yes\nNow: Not given" in receipt
    assert link_in(receipt) == link
    assert "This is not a new response" in alert.text
    assert len(outbox("alert")) == 2 and len(outbox("receipt")) == 2
    [audit] = audited("respondent_change")
    assert reference in audit and RESPONDENT not in audit


def test_the_pages_of_a_change_say_so_and_offer_no_saving_for_later(
    client, clock, survey, smtp_server
):
    link = sends_survey(client, clock, smtp_server)
    reference = sent_response().reference
    starts_change(client, link)

    start = open_step(client, SURVEY)
    fourth = open_step(client, page_url(4))
    saving = client.get(f"{SURVEY}/save")

    assert h1_text(start) == "Change your response"
    assert f"You are changing your response {reference}" in text_of(page(start))
    assert page(fourth).find("button", string="Save and come back later") is None
    assert where(saving) == CHECK


def test_sending_a_change_without_changing_anything_changes_nothing(
    client, clock, survey, smtp_server
):
    link = sends_survey(client, clock, smtp_server)
    check = starts_change(client, link)

    sent = send_form(client, check, {})  # at once: a change is a person's, from their link

    assert where(sent) == link
    assert flashes(client.get(link)) == ["You did not change anything."]
    response = sent_response()
    assert (response.version, response.versions, response.changed_at) == (1, [], None)
    assert change_drafts() == []
    assert len(outbox("receipt")) == 1


def test_a_second_send_of_the_same_form_makes_one_change(client, clock, survey, smtp_server):
    link = sends_survey(client, clock, smtp_server)
    starts_change(client, link)
    changes_story(client)
    check = open_step(client, CHECK)
    clock.advance(seconds=5)

    first = send_form(client, check, {})
    again = send_form(client, check, {})  # a refresh of the sent form

    assert where(first) == link
    # The browser no longer holds the link, so it cannot go back to the response's page.
    assert where(again) == CHANGE_SENT
    assert shows(client, CHANGE_SENT) == ALREADY_SENT
    response = sent_response()
    assert (response.version, len(response.versions)) == (2, 1)
    assert response.answers["story"] == CHANGED_STORY
    assert len(outbox("receipt")) == 2


def test_two_taps_at_once_make_one_change(app, client, clock, survey, smtp_server):
    link = sends_survey(client, clock, smtp_server)
    starts_change(client, link)
    changes_story(client)
    check = open_step(client, CHECK)
    clock.advance(seconds=5)
    fields = hidden_fields(check)
    action = stamped_form(page(check))["action"]

    results = at_once(
        [lambda: client.post(action, data=fields) for _ in range(2)], context=app.app_context
    )

    # The second lands on the response's page too while its cookie, read before the first
    # answered, still held the link; read after, on the page saying the changes were sent.
    landed = [where(r) for r in results]
    assert link in landed and set(landed) <= {link, CHANGE_SENT}
    response = sent_response()
    assert (response.version, len(response.versions)) == (2, 1)
    assert len(outbox("receipt")) == 2 and len(outbox("alert")) == 2


def test_a_tab_left_open_on_a_change_sent_from_another_tab_sends_nothing(
    client, clock, survey, smtp_server
):
    link = sends_survey(client, clock, smtp_server)
    first_tab = starts_change(client, link)
    starts_change(client, link)  # the change opened again in a second tab
    changes_story(client)
    clock.advance(seconds=5)
    assert where(send(client, clock)) == link

    refused = send_form(client, first_tab, {})

    assert where(refused) == CHANGE_ENDED
    assert shows(client, CHANGE_ENDED) == NO_LONGER_OPEN
    response = sent_response()
    assert (response.version, response.answers["story"]) == (2, CHANGED_STORY)
    assert len(outbox("receipt")) == 2
    assert change_drafts() == []
    assert where(client.get(change_url(client, link))) == CHECK  # changed again from the link
    assert change_drafts()[0].version == 2


def test_a_tab_left_open_on_a_change_opened_again_in_another_tab_sends_nothing(
    client, clock, survey, smtp_server
):
    link = sends_survey(client, clock, smtp_server)
    first_tab = starts_change(client, link)
    starts_change(client, link)  # opened again in a second tab, and not sent yet
    changes_story(client)
    clock.advance(seconds=5)

    sent = send_form(client, first_tab, {})

    assert where(sent) == link
    assert NOT_HERE in " ".join(flashes(client.get(link)))
    assert sent_response().version == 1
    # The second tab carries on with its change.
    assert CHANGED_STORY in open_step(client, CHECK).get_data(as_text=True)


def test_back_after_sending_a_change_and_continuing_says_it_was_sent_and_begins_nothing(
    client, clock, survey, smtp_server
):
    link = sends_survey(client, clock, smtp_server)
    starts_change(client, link)
    held_page = open_step(client, page_url(4, **{"return": "check"}))
    held_details = open_step(client, DETAILS_URL)
    changes_story(client)
    clock.advance(seconds=5)
    assert where(send(client, clock)) == link

    # Back twice shows the page as it was; Continue sends its form again.
    again = send_form(client, held_page, {**OFFICER_ROUTE[4], "q_story": "Typed after."})
    details = send_form(client, held_details, DETAILS)
    with_htmx = send_form(client, held_page, {}, headers={"HX-Request": "true"})

    assert where(again) == where(details) == where(with_htmx) == CHANGE_SENT
    shown = open_step(client, CHANGE_SENT)
    assert h1_text(shown) == ALREADY_SENT
    assert "Use the link in your email to see your response" in text_of(page(shown))
    [response] = responses()  # no new draft, no second response
    assert (response.version, response.answers["story"]) == (2, CHANGED_STORY)
    assert where(client.get(DETAILS_URL)) == SURVEY


def test_a_tab_left_on_a_page_of_a_change_sent_from_another_tab_begins_nothing(
    client, clock, survey, smtp_server
):
    link = sends_survey(client, clock, smtp_server)
    answer(client, 1, {"q_role": RESIDENT, "q_postcode": ""})  # a new response in progress
    starts_change(client, link)
    second_tab = open_step(client, page_url(4, **{"return": "check"}))
    changes_story(client)  # in the first tab, which then sends
    clock.advance(seconds=5)
    assert where(send(client, clock)) == link

    continued = send_form(client, second_tab, {**OFFICER_ROUTE[4], "q_story": "Second tab."})

    assert where(continued) == CHANGE_SENT
    sent, in_progress = responses()
    assert (sent.version, sent.answers["story"]) == (2, CHANGED_STORY)
    # Nothing of the change's page reaches the new response in progress here.
    assert (in_progress.status, in_progress.amends_id) == (DRAFT, None)
    assert in_progress.answers == {"role": RESIDENT}


def test_a_page_of_a_change_that_ended_unsent_says_it_is_no_longer_open(
    client, clock, survey, smtp_server
):
    link = sends_survey(client, clock, smtp_server)
    starts_change(client, link)
    held_page = open_step(client, page_url(4))
    assert where(send_form(client, open_step(client, CHECK), {})) == link  # nothing changed

    continued = send_form(client, held_page, {**OFFICER_ROUTE[4], "q_story": "Typed after."})

    assert where(continued) == CHANGE_ENDED
    assert shows(client, CHANGE_ENDED) == NO_LONGER_OPEN
    [response] = responses()
    assert (response.version, response.answers["story"]) == (1, STORY)


@pytest.mark.parametrize("changed", [True, False], ids=["sent", "unchanged"])
def test_the_browser_forgets_the_link_once_the_change_ends(
    client, clock, survey, smtp_server, changed
):
    link = sends_survey(client, clock, smtp_server)
    starts_change(client, link)
    token = token_of(link)
    assert list(held_links(client).values()) == [token]  # while changing
    if changed:
        changes_story(client)

    assert where(send(client, clock)) == link

    assert held_links(client) == {}
    assert token not in client.get_cookie("session").value


def test_a_change_overtaken_by_one_made_elsewhere_is_not_sent_and_shows_what_was_typed(
    client, clock, survey, smtp_server
):
    link = sends_survey(client, clock, smtp_server)
    starts_change(client, link)
    changes_story(client)
    # Meanwhile, on another device, the publication choice is changed from the link.
    response = sent_response()
    sending = ChangeSending("publication-form-token", 1, clock.now, False, token_of(link))
    assert apply_change(response, sending, lambda r: setattr(r, "publish", "no")) is (
        Outcome.CHANGED
    )
    clock.advance(seconds=5)

    refused = send(client, clock)

    assert refused.status_code == 409
    assert h1_text(refused) == CONFLICT
    assert kept_on_closed_page(refused)[STORY_PROMPT] == CHANGED_STORY
    response = sent_response()
    assert (response.version, response.answers["story"], response.publish) == (2, STORY, "no")
    assert change_drafts() == []
    assert len(outbox("receipt")) == 2  # the first, and the publication change's


# --- the deadline ----------------------------------------------------------------------------


@pytest.fixture
def closing_soon(make_survey, clock):
    """The survey closes an hour from now, with the default 30 minutes' grace."""
    return make_survey(closes_at=clock.now + timedelta(hours=1))


def test_a_change_started_before_the_deadline_may_be_sent_in_the_grace_and_is_late(
    client, clock, closing_soon, smtp_server
):
    link = sends_survey(client, clock, smtp_server)
    starts_change(client, link)
    changes_story(client)
    clock.set(closing_soon.closes_at + timedelta(minutes=20))

    check = open_step(client, CHECK)
    assert "The deadline has passed" in text_of(page(check).find(class_="notice-warning"))
    sent = send_form(client, check, {})

    assert where(sent) == link
    response = sent_response()
    assert (response.version, response.late, response.answers["story"]) == (2, True, CHANGED_STORY)
    [alert] = [email for email in outbox("alert") if "changed" in email.subject]
    assert "within the grace period" in alert.body_text


def test_after_the_grace_a_change_is_refused_with_what_was_typed_kept(
    client, clock, closing_soon, smtp_server
):
    link = sends_survey(client, clock, smtp_server)
    starts_change(client, link)
    changes_story(client)
    check = open_step(client, CHECK)
    clock.set(closing_soon.closes_at + timedelta(minutes=30))

    refused = send_form(client, check, {})

    assert refused.status_code == 410
    assert page(refused).find("a", href=link) is not None  # back to the response
    assert h1_text(refused) == "The deadline for responses has passed"
    assert kept_on_closed_page(refused)[STORY_PROMPT] == CHANGED_STORY
    response = sent_response()
    assert (response.version, response.answers["story"]) == (1, STORY)
    assert len(outbox("receipt")) == 1


def test_a_change_cannot_begin_once_the_deadline_has_passed(
    client, clock, closing_soon, smtp_server
):
    link = sends_survey(client, clock, smtp_server)
    address = f"/consultations/{SLUG}/survey/change/{token_of(link)}"
    clock.set(closing_soon.closes_at + timedelta(minutes=1))  # within the grace, but new

    opened = client.get(address)

    assert where(opened) == link
    assert page(client.get(link)).find("a", string="Change your response") is None
    assert change_drafts() == []


@pytest.mark.parametrize("minutes", [-30, 5], ids=["before-the-deadline", "within-the-grace"])
def test_a_close_forced_by_an_admin_refuses_a_change_at_once(
    app, client, clock, closing_soon, smtp_server, admin_user, minutes
):
    link = sends_survey(client, clock, smtp_server)
    starts_change(client, link)
    changes_story(client)
    check = open_step(client, CHECK)
    clock.set(closing_soon.closes_at + timedelta(minutes=minutes))
    Admin.signs_in(app).closes(SLUG)

    refused = send_form(client, check, {})

    assert refused.status_code == 410
    assert page(refused).find("a", href=link) is not None  # back to the response
    assert kept_on_closed_page(refused)[STORY_PROMPT] == CHANGED_STORY
    assert sent_response().version == 1
    assert where(client.get(f"{SURVEY}/change/{token_of(link)}")) == link


# --- withdrawal ------------------------------------------------------------------------------


def withdraw_now(response_id: int, clock) -> str | None:
    response = db.session.get(Response, response_id)
    return withdraw(response, clock.now) if response is not None else None


def nothing_left() -> bool:
    """No response, draft, version or count of the survey is left."""
    db.session.rollback()
    return not any(
        db.session.scalars(select(table)).first()
        for table in (Response, ResponseVersion, ChoiceAnswer)
    )


def test_a_change_sent_after_its_response_was_withdrawn_finds_the_link_not_working(
    client, clock, survey, smtp_server
):
    link = sends_survey(client, clock, smtp_server)
    starts_change(client, link)
    changes_story(client)
    check = open_step(client, CHECK)
    assert withdraw_now(sent_response().id, clock) is not None
    clock.advance(seconds=5)

    refused = send_form(client, check, {})

    assert refused.status_code == 404
    assert h1_text(refused) == "This link does not work"
    assert where(client.get(CHECK)) == SURVEY  # nothing of the change is left here
    assert held_links(client) == {}
    assert nothing_left()
    assert outbox("receipt") == []


def test_the_pages_of_a_change_whose_response_was_withdrawn_say_the_link_does_not_work(
    client, clock, survey, smtp_server
):
    link = sends_survey(client, clock, smtp_server)
    starts_change(client, link)
    assert withdraw_now(sent_response().id, clock) is not None

    opened = client.get(page_url(4))

    assert opened.status_code == 404
    assert h1_text(opened) == "This link does not work"
    assert nothing_left()


def test_a_change_racing_a_withdrawal_ends_withdrawn_never_half_changed(
    app, client, clock, survey, smtp_server
):
    link = sends_survey(client, clock, smtp_server)
    response_id = sent_response().id
    starts_change(client, link)
    changes_story(client)
    check = open_step(client, CHECK)
    clock.advance(seconds=5)

    sent, withdrawn = at_once(
        [lambda: send_form(client, check, {}), lambda: withdraw_now(response_id, clock)],
        context=app.app_context,
    )

    assert withdrawn is not None
    assert sent.status_code in (303, 404)
    assert nothing_left()
    # Whichever came first, the response's emails still to go went with it.
    assert [email for email in outbox() if email.kind in ("alert", "receipt")] == []


# --- devices ---------------------------------------------------------------------------------


def test_a_browser_that_takes_over_a_change_and_the_one_it_left_see_nothing_of_each_other(
    app, client, clock, survey, smtp_server
):
    link = sends_survey(client, clock, smtp_server)
    starts_change(client, link)
    changes_story(client, "Typed on the phone before the laptop opened it.")
    phone_page = open_step(client, page_url(4))  # left open on the phone
    laptop = new_browser(app)
    taken = starts_change(laptop, link)
    assert "Typed on the phone before the laptop opened it." in text_of(page(taken))

    # The phone types on; nothing of it is kept, and it is sent back to the response.
    phone_typed = send_form(
        client, phone_page, {**OFFICER_ROUTE[4], "q_story": "The phone's later secret."}
    )
    laptop_typed = changes_story(laptop, "The laptop's later secret.")

    assert where(phone_typed) == link
    assert NOT_HERE in " ".join(flashes(client.get(link)))
    seen_by_laptop = open_step(laptop, CHECK).get_data(as_text=True)
    assert "The phone&#39;s later secret." not in seen_by_laptop
    assert "The phone's later secret." not in seen_by_laptop
    for path in (SURVEY, page_url(4), CHECK):
        seen = client.get(path, follow_redirects=True).get_data(as_text=True)
        assert "later secret" not in seen, path
    assert where(laptop_typed) == CHECK
    [draft] = change_drafts()
    assert draft.answers["story"] == "The laptop's later secret."
    clock.advance(seconds=5)
    assert where(send(laptop, clock)) == link
    assert sent_response().answers["story"] == "The laptop's later secret."


def test_two_browsers_opening_the_change_at_once_share_one_change_draft(
    app, client, clock, survey, smtp_server
):
    link = sends_survey(client, clock, smtp_server)
    address = change_url(client, link)
    browsers = [new_browser(app) for _ in range(2)]

    opened = at_once([lambda b=b: b.get(address) for b in browsers], context=app.app_context)

    assert [where(o) for o in opened] == [CHECK, CHECK]
    [draft] = change_drafts()
    checks = [b.get(CHECK) for b in browsers]
    # The one whose token the draft kept has it; the other is sent back to the response.
    assert sorted(c.status_code for c in checks) == [200, 303]
    assert draft.version == 1


def test_a_new_link_shuts_out_a_change_begun_with_the_old_one(
    app, client, clock, survey, smtp_server
):
    old_link = sends_survey(client, clock, smtp_server)
    starts_change(client, old_link)
    changes_story(client, "Typed by whoever had the old link.")
    held_check = open_step(client, CHECK)
    response = sent_response()
    new_link = f"/your-response/{links.issue(response)}"  # as "Get a new link" does
    db.session.commit()
    clock.advance(seconds=5)

    reopened = client.get(CHECK)
    sent = send_form(client, held_check, {})

    assert reopened.status_code == 404
    assert h1_text(reopened) == "This link does not work"
    assert where(sent) == CHANGE_ENDED
    assert change_drafts() == []
    assert held_links(client) == {}
    owner = new_browser(app)
    shown = starts_change(owner, new_link)
    assert "Typed by whoever had the old link." not in shown.get_data(as_text=True)
    assert sent_response().version == 1


def test_with_htmx_a_sent_change_loads_the_response_page_whole(client, clock, survey, smtp_server):
    link = sends_survey(client, clock, smtp_server)
    starts_change(client, link)
    changes_story(client)
    check = open_step(client, CHECK)
    clock.advance(seconds=5)

    sent = send_form(client, check, {}, headers={"HX-Request": "true"})

    assert (sent.status_code, sent.headers["HX-Redirect"]) == (204, link)
    assert flashes(client.get(link)) == [SENT]
    assert sent_response().version == 2


def test_a_new_response_in_progress_is_kept_while_another_is_changed(
    client, clock, survey, smtp_server
):
    link = sends_survey(client, clock, smtp_server)
    answer(client, 1, {"q_role": RESIDENT, "q_postcode": ""})  # a second response begun
    starts_change(client, link)
    changes_story(client)
    clock.advance(seconds=5)
    assert where(send(client, clock)) == link

    start = open_step(client, SURVEY)

    assert page(start).find("a", string="Continue your response") is not None
    resumed = open_step(client, page_url(1))
    assert page(resumed).find("input", attrs={"value": RESIDENT, "checked": True}) is not None


def test_a_change_draft_is_never_sent_as_a_new_response(app, client, clock, survey, smtp_server):
    link = sends_survey(client, clock, smtp_server)
    starts_change(client, link)
    [draft] = change_drafts()

    with app.test_request_context():
        sent = services.submit(survey, draft, list(survey.questions), clock.now, late=False)

    assert sent is False
    [draft] = change_drafts()
    assert (draft.status, draft.reference) == (DRAFT, None)
    assert len(outbox("receipt")) == 1


def test_a_link_to_another_kind_of_response_or_none_opens_no_change(client, clock, survey):
    evidence_link = token_of(issued_link(send_evidence(client, clock)))
    for token in (evidence_link, "not-a-real-link-token-at-all", "x"):
        refused = client.get(f"{SURVEY}/change/{token}")
        assert refused.status_code == 404
        assert h1_text(refused) == "This link does not work"
    assert change_drafts() == []


def test_a_change_begun_with_the_old_link_is_gone_once_new_links_are_sent(
    app, client, clock, survey, smtp_server
):
    old_link = sends_survey(client, clock, smtp_server)
    reference = sent_response().reference
    starts_change(client, old_link)
    changes_story(client, "Typed by whoever had the old link.")
    assert len(change_drafts()) == 1

    assert send_new_links(RESPONDENT, clock.now)  # "Get a new link", by the owner
    deliver_due(clock)
    new_link = links_in_new_links(smtp_server.to(RESPONDENT)[-1].text)[reference]

    assert change_drafts() == []
    owner = new_browser(app)
    shown = starts_change(owner, new_link)  # before the old link's holder comes back
    assert "Typed by whoever had the old link." not in shown.get_data(as_text=True)
