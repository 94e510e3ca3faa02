"""A consultation's own admin page: the publishing checklist, publishing, setting back to
draft, copying, downloading it as a file, and the dashboard's drafts.

Drafts are arranged with the factories; what is missing is put right straight in the
database (the settings form has its own tests), and everything an admin does goes
through the pages over HTTP.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import yaml
from sqlalchemy import func, select

from app.consultations.files import parse_consultation, survey_data
from app.extensions import db
from app.models import AuditEvent, Consultation, Question, Response, Slot
from tests.support.actors import Respondent
from tests.support.audit import audit_count
from tests.support.clients import new_browser
from tests.support.factories import SLUG, TITLE, csrf_token
from tests.support.pages import field_error, page, redirect_path, summary_links, text_of, value_of
from tests.support.responses import insert_response

PAGE_URL = f"/admin/consultations/{SLUG}"
SETTINGS_URL = f"{PAGE_URL}/settings"
PUBLISH_URL = f"{PAGE_URL}/publish"
UNPUBLISH_URL = f"{PAGE_URL}/unpublish"
COPY_URL = f"{PAGE_URL}/copy"
EXPORT_URL = f"{PAGE_URL}/export.yaml"
PUBLIC_URL = f"/consultations/{SLUG}"
THEMES = ["Trends shaping public services", "Places doing things differently"]


@pytest.fixture
def make_draft(make_consultation):
    """A draft with nothing missing (evidence with themes, and get in touch), unless told."""

    def make(**overrides):
        fields = {
            "published_at": None,
            "channels": ["evidence", "contact"],
            "evidence_settings": {"topics": THEMES},
        }
        return make_consultation(**{**fields, **overrides})

    return make


@pytest.fixture
def public(app):
    """Someone who is not signed in: staff may see a draft's public pages, the public not."""
    return new_browser(app)


def stored(slug: str = SLUG) -> Consultation:
    db.session.rollback()
    return db.session.scalars(select(Consultation).filter_by(slug=slug)).one()


def change(slug: str = SLUG, **fields) -> None:
    """Put something right (or wrong) straight in the database."""
    consultation = stored(slug)
    for name, value in fields.items():
        setattr(consultation, name, value)
    db.session.commit()


def checklist(response) -> list[str]:
    """What the page says is missing (without how to do it); empty when it says it is
    ready to publish."""
    box = page(response).find(id="checklist")
    assert box is not None, "no checklist"
    for how in box.find_all(class_="checklist-how"):
        how.extract()
    items = [text_of(li) for li in box.find_all("li")]
    assert ("Ready to publish" in text_of(box)) == (not items)
    return items


def checklist_links(response) -> dict[str, str]:
    """The checklist's items that are links: text -> where each leads."""
    return {text_of(a): a["href"] for a in page(response).find(id="checklist").find_all("a")}


def refusal_links(response) -> dict[str, str]:
    """A refused publish's error summary: message -> where each link leads."""
    summary = page(response).find(class_="error-summary")
    assert summary is not None, "no error summary"
    assert text_of(summary.find("h2")) == "There is a problem"
    return {text_of(a): a["href"] for a in summary.find_all("a")}


def assert_leads_to_a_field(client, href: str) -> None:
    """`href` is a field of the settings form, which the page that holds it has."""
    path, _, field = href.partition("#")
    assert path == SETTINGS_URL, href
    form = page(client.get(path)).find("form", action=SETTINGS_URL)
    assert form is not None, "no settings form"
    found = form.find(id=field)
    assert found is not None and found.name in ("input", "textarea", "select"), href


def publish_button(response):
    form = page(response).find("form", action=PUBLISH_URL)
    return form.find("button") if form else None


def audit(*actions: str) -> list[tuple[str, str, str | None, str]]:
    """(actor, action, consultation's slug, detail) for these actions, oldest first."""
    db.session.rollback()
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action.in_(actions)).order_by(AuditEvent.id)
    )
    return [
        (e.actor, e.action, e.consultation.slug if e.consultation else None, e.detail)
        for e in events
    ]


def flashes(response) -> str:
    return text_of(page(response).find(id="flashes"))


def publish(client):
    return client.post(PUBLISH_URL, data={"csrf_token": csrf_token(client, PAGE_URL)})


def row(response, setting: str):
    """The page's row for a key of the consultation file, as "label: value"."""
    found = page(response).find(id=f"setting-{setting}")
    assert found is not None, f"no row for {setting}"
    return f"{text_of(found.find('dt'))}: {text_of(found.find('dd'))}"


# --- the checklist, one item at a time --------------------------------------------------------


def _question() -> Question:
    return Question(
        key="views",
        page=1,
        page_title="Your views",
        position=1,
        type="text",
        prompt="What do you think?",
    )


def add_question() -> None:
    consultation = stored()
    consultation.questions.append(_question())
    db.session.commit()


SURVEY_ITEM = "Add the survey's questions, or stop offering the survey"
CHECKLIST_ITEMS = {
    # item: (what makes it missing at `now`, what puts it right, where it links to: a
    # field of the settings form (the first box of a group of them), or the survey builder)
    "Add the policy officer's email address": (
        lambda now: {"officer_email": ""},
        lambda: change(officer_email="officer@example.org"),
        f"{SETTINGS_URL}#officer_email",
    ),
    "Choose at least one way of taking part": (
        lambda now: {"channels": []},
        lambda: change(channels=["contact"]),
        f"{SETTINGS_URL}#channels-1",
    ),
    SURVEY_ITEM: (
        lambda now: {"channels": ["survey"]},
        add_question,
        f"{PAGE_URL}/survey",
    ),
    "Add at least one theme for written evidence": (
        lambda now: {"evidence_settings": {}},
        lambda: change(evidence_settings={"topics": THEMES}),
        f"{SETTINGS_URL}#topics",
    ),
    "Set a deadline in the future": (
        lambda now: {"opens_at": now - timedelta(days=9), "closes_at": now - timedelta(days=1)},
        lambda: change(closes_at=stored().opens_at + timedelta(days=30)),
        f"{SETTINGS_URL}#closes_at",
    ),
}


@pytest.mark.parametrize("item", list(CHECKLIST_ITEMS))
def test_each_checklist_item_shows_refuses_publishing_and_goes_when_put_right(
    public, admin, clock, make_draft, item
):
    broken, put_right, link = CHECKLIST_ITEMS[item]
    make_draft(**broken(clock.now))

    shown = admin.get(PAGE_URL)
    assert shown.status_code == 200
    assert checklist(shown) == [item]
    assert publish_button(shown) is None
    assert checklist_links(shown) == {item: link}
    if link.startswith(SETTINGS_URL):
        assert_leads_to_a_field(admin, link)
    else:
        assert page(admin.get(link)).find("a", string="Add a question on a new page")

    refused = publish(admin)
    assert refused.status_code == 422
    assert refusal_links(refused) == {item: link}
    assert page(refused).title.get_text().startswith("Error: ")
    assert stored().is_draft
    assert public.get(PUBLIC_URL).status_code == 404
    assert audit("publish") == []

    put_right()
    ready = admin.get(PAGE_URL)
    assert checklist(ready) == []
    assert text_of(publish_button(ready)) == "Publish"
    assert publish(admin).status_code == 303
    assert not stored().is_draft


def test_the_survey_item_leads_to_the_survey_builder(admin, make_draft):
    make_draft(channels=["survey"])

    box = page(admin.get(PAGE_URL)).find(id="checklist")

    assert text_of(box.find(class_="checklist-how")) == (
        "Add them on the consultation's Survey tab, or in its file."
    )
    assert box.find("a", string=SURVEY_ITEM)["href"] == f"{PAGE_URL}/survey"


def test_an_officer_reads_the_checklist_without_links_to_a_form_they_cannot_use(
    clock, make_draft, officer
):
    make_draft(officer_email="", channels=["survey"])

    shown = officer.get(PAGE_URL)

    assert checklist(shown) == ["Add the policy officer's email address", SURVEY_ITEM]
    assert checklist_links(shown) == {}


def test_the_checklist_lists_everything_missing_in_the_order_to_put_it_right(
    admin, clock, make_draft
):
    make_draft(
        officer_email="",
        channels=[],
        closes_at=clock.now - timedelta(hours=1),
        opens_at=clock.now - timedelta(days=3),
    )

    assert checklist(admin.get(PAGE_URL)) == [
        "Add the policy officer's email address",
        "Choose at least one way of taking part",
        "Set a deadline in the future",
    ]
    refused = publish(admin)
    assert refused.status_code == 422
    assert list(refusal_links(refused)) == [
        "Add the policy officer's email address",
        "Choose at least one way of taking part",
        "Set a deadline in the future",
    ]


def test_a_deadline_that_passes_while_the_page_is_open_is_checked_again_on_publishing(
    admin, clock, make_draft
):
    """The page said it was ready; by the time the button is pressed the deadline has passed."""
    make_draft(closes_at=clock.now + timedelta(minutes=10))
    shown = admin.get(PAGE_URL)
    assert checklist(shown) == []
    token = csrf_token(admin, PAGE_URL)

    clock.advance(minutes=11)
    refused = admin.post(PUBLISH_URL, data={"csrf_token": token})

    assert refused.status_code == 422
    assert list(refusal_links(refused)) == ["Set a deadline in the future"]
    assert stored().is_draft


# --- publishing -------------------------------------------------------------------------------


def test_publishing_puts_it_on_the_public_site_and_in_the_list(public, admin, clock, make_draft):
    make_draft()
    assert public.get(PUBLIC_URL).status_code == 404
    assert TITLE not in text_of(page(public.get("/")))

    published = publish(admin)

    assert published.status_code == 303
    assert redirect_path(published) == PAGE_URL
    after = admin.get(PAGE_URL)
    assert f"{TITLE} is published. It is open now, until" in flashes(after)
    assert "Published on 1 February 2027" in text_of(page(after).find(class_="meta"))
    assert publish_button(after) is None
    assert stored().published_at == clock.now
    assert public.get(PUBLIC_URL).status_code == 200
    assert TITLE in text_of(page(public.get("/")))
    assert audit("publish") == [("admin@example.org", "publish", SLUG, "Published")]


def test_a_forthcoming_consultation_says_when_it_opens(public, admin, clock, make_draft):
    make_draft(opens_at=clock.now + timedelta(days=3, hours=-3))

    assert "It will open at 9am UK time on 4 February 2027." in text_of(page(admin.get(PAGE_URL)))
    published = admin.get(redirect_path(publish(admin)))

    assert f"{TITLE} is published. It opens at 9am UK time on 4 February 2027." in flashes(
        published
    )
    assert public.get(PUBLIC_URL).status_code == 200
    assert "Opening soon" in text_of(page(public.get(PUBLIC_URL)))


def test_a_second_press_publishes_once(admin, clock, make_draft):
    make_draft()
    token = csrf_token(admin, PAGE_URL)

    first = admin.post(PUBLISH_URL, data={"csrf_token": token})
    published_at = stored().published_at
    clock.advance(seconds=2)
    second = admin.post(PUBLISH_URL, data={"csrf_token": token})

    assert first.status_code == second.status_code == 303
    assert f"{TITLE} was already published. Nothing changed." in flashes(admin.get(PAGE_URL))
    assert stored().published_at == published_at
    assert len(audit("publish")) == 1


def test_publishing_removes_surveys_begun_in_a_preview_and_stops_the_preview_link(
    app, admin, clock, make_draft
):
    """A draft has no real respondents: what a preview left behind goes."""
    draft = make_draft(channels=["survey"])
    draft.questions.append(_question())
    draft.preview_hash, draft.preview_made_at = "a" * 64, clock.now
    db.session.add(
        Response(
            consultation_id=draft.id,
            channel="survey",
            token="t" * 40,
            answers={"views": "Fine"},
            started_at=clock.now,
            updated_at=clock.now,
        )
    )
    db.session.commit()

    assert publish(admin).status_code == 303

    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Response)) == 0
    assert stored().preview_hash is None
    assert stored().preview_made_at is None


def test_publishing_needs_the_csrf_token(admin, make_draft):
    make_draft()
    assert admin.post(PUBLISH_URL).status_code == 400
    assert stored().is_draft


# --- setting back to draft --------------------------------------------------------------------


def test_a_consultation_nobody_has_responded_to_can_be_set_back_to_draft(
    public, admin, clock, make_draft
):
    make_draft(published_at=clock.now - timedelta(days=1))
    shown = admin.get(PAGE_URL)
    assert page(shown).find("a", href=UNPUBLISH_URL) is not None

    asked = admin.get(UNPUBLISH_URL)
    assert asked.status_code == 200
    assert page(asked).find("form", action=UNPUBLISH_URL).find("button") is not None
    done = admin.post(UNPUBLISH_URL, data={"csrf_token": csrf_token(admin, UNPUBLISH_URL)})

    assert done.status_code == 303
    assert redirect_path(done) == PAGE_URL
    assert f"{TITLE} is a draft again" in flashes(admin.get(PAGE_URL))
    assert stored().is_draft
    assert public.get(PUBLIC_URL).status_code == 404
    assert TITLE not in text_of(page(public.get("/")))
    assert audit("unpublish") == [("admin@example.org", "unpublish", SLUG, "Set back to draft")]
    # It can be published again.
    assert publish(admin).status_code == 303
    assert not stored().is_draft


def test_a_consultation_with_a_response_cannot_be_set_back_to_draft(
    public, admin, clock, make_consultation
):
    consultation = make_consultation()
    insert_response(consultation, clock.now, 1)
    db.session.commit()

    shown = admin.get(PAGE_URL)
    assert (
        "It cannot be set back to draft because people have already responded or started the"
        " survey: 1 response has been received." in text_of(page(shown))
    )
    assert page(shown).find("a", href=UNPUBLISH_URL) is None
    asked = admin.get(UNPUBLISH_URL)
    assert asked.status_code == 409
    assert page(asked).find("form", action=UNPUBLISH_URL) is None
    token = csrf_token(admin, PAGE_URL)
    refused = admin.post(UNPUBLISH_URL, data={"csrf_token": token})

    assert refused.status_code == 409
    assert text_of(page(refused).find(class_="notice-error")) == (
        "You cannot set it back to draft because people have already responded or started the"
        " survey: 1 response has been received."
    )
    assert not stored().is_draft
    assert public.get(PUBLIC_URL).status_code == 200
    assert audit("unpublish") == []


def test_a_survey_in_progress_stops_it_going_back_to_draft(app, admin, clock, make_survey):
    make_survey()
    Respondent(app, clock).answers_page(1, {"q_role": "Resident", "q_postcode": ""})

    shown = admin.get(PAGE_URL)
    assert "started the survey: 1 person has a survey in progress." in text_of(page(shown))
    refused = admin.post(UNPUBLISH_URL, data={"csrf_token": csrf_token(admin, PAGE_URL)})

    assert refused.status_code == 409
    assert "started the survey: 1 person has a survey in progress." in text_of(page(refused))
    assert not stored().is_draft


def test_responses_and_surveys_in_progress_are_both_counted_in_the_refusal(
    app, admin, clock, make_survey
):
    consultation = make_survey()
    for number in range(2):
        insert_response(consultation, clock.now, number)
    db.session.commit()
    for _ in range(3):
        Respondent(app, clock).answers_page(1, {"q_role": "Resident", "q_postcode": ""})

    refused = admin.get(UNPUBLISH_URL)

    assert refused.status_code == 409
    assert text_of(page(refused).find(class_="notice-error")).endswith(
        ": 2 responses have been received and 3 people have a survey in progress."
    )


# --- copying ----------------------------------------------------------------------------------


SETTINGS = (
    "summary",
    "body",
    "opens_at",
    "closes_at",
    "grace_minutes",
    "channels",
    "officer_name",
    "officer_email",
    "officer_phone",
    "alert_mode",
    "evidence_settings",
    "messages_after_close",
    "bookings_after_close",
)


def settings_of(consultation: Consultation) -> dict:
    return {name: getattr(consultation, name) for name in SETTINGS}


def test_a_copy_is_a_new_draft_with_the_settings_and_questions_and_nothing_else(
    public, app, admin, clock, make_survey
):
    source = make_survey(
        grace_minutes=45,
        alert_mode="daily",
        contact={"messages_after_close": False, "bookings_after_close": True},
    )
    insert_response(source, clock.now, 1)
    db.session.add(
        Slot(
            consultation_id=source.id,
            starts_at=clock.now + timedelta(days=2),
            ends_at=clock.now + timedelta(days=2, minutes=30),
        )
    )
    source.outcome = "We listened."
    source.override = "closed"
    source.preview_hash, source.preview_made_at = "b" * 64, clock.now
    db.session.commit()
    audit_before = audit_count()

    form = admin.get(COPY_URL)
    assert form.status_code == 200
    assert value_of(form, "title") == f"{TITLE} (copy)"
    assert value_of(form, "slug") == f"{SLUG}-2"
    made = admin.post(
        COPY_URL,
        data={
            "title": "Community services review 2028",
            "slug": "services-2028",
            "csrf_token": csrf_token(admin, COPY_URL),
        },
    )

    assert made.status_code == 303
    assert redirect_path(made) == "/admin/consultations/services-2028"
    shown = admin.get("/admin/consultations/services-2028")
    assert "Community services review 2028 is a new draft, copied from" in flashes(shown)
    copied, source = stored("services-2028"), stored()
    assert copied.is_draft
    assert copied.title == "Community services review 2028"
    assert settings_of(copied) == settings_of(source)
    assert (copied.grace_minutes, copied.alert_mode) == (45, "daily")
    assert (copied.messages_after_close, copied.bookings_after_close) == (False, True)
    assert survey_data(copied) == survey_data(source)
    assert copied.override == "auto"
    assert (copied.outcome, copied.outcome_published_at) == ("", None)
    assert (copied.preview_hash, copied.preview_made_at) == (None, None)
    assert db.session.scalar(select(func.count()).where(Response.consultation_id == copied.id)) == 0
    assert db.session.scalar(select(func.count()).where(Slot.consultation_id == copied.id)) == 0
    assert audit_count() == audit_before + 1
    assert audit("copy") == [
        ("admin@example.org", "copy", "services-2028", f"Copied from {TITLE} ({SLUG})")
    ]
    # The source is as it was.
    assert source.override == "closed"
    assert len(source.questions) == len(copied.questions) > 0
    assert public.get(PUBLIC_URL).status_code == 200
    assert public.get("/consultations/services-2028").status_code == 404


def test_the_suggested_web_address_is_one_nobody_uses(admin, make_consultation):
    make_consultation()
    make_consultation(slug=f"{SLUG}-2", title="Second run")

    assert value_of(admin.get(COPY_URL), "slug") == f"{SLUG}-3"


def test_the_copy_page_says_the_copy_is_a_draft_to_retitle_and_what_stays_behind(
    admin, make_consultation
):
    make_consultation()

    shown = page(admin.get(COPY_URL))

    said = text_of(shown.find("main"))
    assert "The copy is a new draft: the public cannot see it until you publish it." in said
    assert text_of(shown.find(id="title-hint")) == (
        "Change it before you publish the copy, so that people can tell the two apart."
    )
    assert [text_of(li) for li in shown.find("main").find("ul").find_all("li")] == [
        "responses",
        "call times and bookings",
        "the audit log",
        "the outcome",
        "the preview link",
    ]
    assert text_of(shown.find(id="slug-hint")).startswith(
        "Leave it empty to make one from the title."
    )


def test_a_copy_left_without_a_web_address_gets_one_made_from_its_title(admin, make_consultation):
    make_consultation()
    make_consultation(slug="second-run", title="Second run")

    made = admin.post(
        COPY_URL,
        data={"title": "Second run", "slug": "  ", "csrf_token": csrf_token(admin, COPY_URL)},
    )

    assert made.status_code == 303
    assert redirect_path(made) == "/admin/consultations/second-run-2"
    copied = stored("second-run-2")
    assert (copied.title, copied.is_draft) == ("Second run", True)
    assert audit("copy") == [
        ("admin@example.org", "copy", "second-run-2", f"Copied from {TITLE} ({SLUG})")
    ]


@pytest.mark.parametrize(
    ("typed", "field", "message"),
    [
        (
            {"slug": SLUG},
            "slug",
            f"The web address /consultations/{SLUG} is already used by '{TITLE}'. Enter another",
        ),
        (
            {"slug": "new"},
            "slug",
            "The web address /consultations/new is kept for the site. Enter another",
        ),
        (
            {"slug": "Local Services!"},
            "slug",
            "Use lower-case letters, digits and single hyphens, like local-services-2027;"
            " given 'Local Services!'",
        ),
        (
            {"slug": "", "title": "Опрос"},
            "slug",
            "Enter a web address, like local-services-2027. It cannot be made from the title"
            " 'Опрос', which has no letters from a to z or digits",
        ),
        ({"title": "   "}, "title", "Enter a title for the copy"),
        ({"title": "x" * 201}, "title", "Enter 200 characters or fewer"),
    ],
    ids=["taken", "reserved", "bad-shape", "none-to-make", "no-title", "long-title"],
)
def test_a_copy_that_cannot_be_made_says_why_by_the_field(admin, make_draft, typed, field, message):
    make_draft()
    before = audit_count()
    data = {"title": "Second run", "slug": "second-run", **typed}

    refused = admin.post(COPY_URL, data={**data, "csrf_token": csrf_token(admin, COPY_URL)})

    assert refused.status_code == 422
    assert field_error(refused, field) == message
    assert summary_links(refused) == {message: field}
    assert page(refused).title.get_text().startswith("Error: ")
    kept = "title" if field == "slug" else "slug"
    assert value_of(refused, kept) == data[kept]
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Consultation)) == 1
    assert audit_count() == before


# --- downloading as a file --------------------------------------------------------------------


def test_an_admin_downloads_the_consultation_as_a_file_that_imports(app, admin, make_survey):
    make_survey()

    download = admin.get(EXPORT_URL)

    assert download.status_code == 200
    assert download.mimetype == "application/yaml"
    assert download.headers["Content-Disposition"] == f"attachment; filename={SLUG}.yaml"
    data = yaml.safe_load(download.get_data(as_text=True))
    spec = parse_consultation(data, f"{SLUG}.yaml", app.config["SITE_ZONE"])
    assert (spec.slug, spec.title) == (SLUG, TITLE)
    assert audit("export_file") == [
        ("admin@example.org", "export_file", SLUG, f"Downloaded as {SLUG}.yaml")
    ]


# --- the page ---------------------------------------------------------------------------------


def test_the_page_shows_every_setting_in_site_time(admin, clock, make_draft):
    make_draft(
        opens_at=clock.now.replace(month=3, day=30, hour=8),
        closes_at=clock.now.replace(month=5, day=1, hour=16),
        grace_minutes=90,
        alert_mode="daily",
        evidence_settings={
            "topics": THEMES,
            "respondent_types": ["Academic", "Other"],
            "max_length": 5000,
            "attachments": {"max_files": 2, "max_mb": 5, "types": ["pdf"]},
        },
        messages_after_close=False,
        bookings_after_close=False,
    )

    shown = admin.get(PAGE_URL)

    assert [
        row(shown, key)
        for key in (
            "title",
            "opens_at",
            "closes_at",
            "channels",
            "survey",
            "grace_minutes",
            "evidence",
            "contact",
            "alert_mode",
        )
    ] == [
        f"Title: {TITLE}",
        "Opens: 9am UK time on 30 March 2027",
        "Deadline: 5pm UK time on 1 May 2027",
        "Ways of taking part: Send written evidence Get in touch",
        "Survey: Not offered",
        "Grace period: 90 minutes after the deadline, for forms opened before it",
        "Written evidence: Who can send it: Academic, Other"
        f" Themes: {', '.join(THEMES)} Up to 5,000 characters"
        " Up to 2 documents of up to 5 MB each: PDF",
        "Get in touch: People cannot send messages after the deadline"
        " People cannot book calls after the deadline",
        "Email alerts to the officer: A daily digest",
    ]
    assert row(shown, "officer") == ("Policy officer: Sam Okafor officer@example.org 020 7946 0000")
    assert row(shown, "slug").startswith(f"Web address: http://localhost{PUBLIC_URL}")
    # The page text in a box of its own, so that its headings are not read as the page's.
    body = page(shown).find(id="setting-body").find(class_="prose-box")
    assert text_of(body.find("h2")) == "Why we are asking"
    assert text_of(body.find("em")) == "everyone"
    assert "Draft" in text_of(page(shown).find(class_="meta"))


def test_the_page_says_when_messages_and_calls_are_taken_after_the_deadline(admin, make_draft):
    make_draft(messages_after_close=True, bookings_after_close=True)

    assert row(admin.get(PAGE_URL), "contact") == (
        "Get in touch: People can send messages after the deadline"
        " People can book calls after the deadline"
    )


def test_the_download_is_explained_in_plain_words_without_commands(admin, make_draft):
    make_draft()

    said = text_of(page(admin.get(PAGE_URL)).find("main"))

    assert (
        "Download this consultation as a file to keep a copy or to load it into another site."
        in said
    )
    assert "flask" not in said and "import" not in said


def test_an_officer_reads_the_page_and_can_do_nothing_with_it(app, clock, make_draft, officer):
    make_draft()

    shown = officer.get(PAGE_URL)

    assert shown.status_code == 200
    assert checklist(shown) == []
    assert "Only an admin can publish it." in text_of(page(shown))
    soup = page(shown)
    assert [form["action"] for form in soup.find_all("form")] == ["/admin/logout"]
    for link in ("settings", "copy", "export.yaml", "unpublish"):
        assert soup.find("a", href=f"{PAGE_URL}/{link}") is None, link
    token = csrf_token(officer, PAGE_URL)
    for url in (PUBLISH_URL, UNPUBLISH_URL, COPY_URL):
        assert (
            officer.post(url, data={"csrf_token": token, "title": "X", "slug": "x"}).status_code
            == 403
        ), url
    for url in (UNPUBLISH_URL, COPY_URL, EXPORT_URL):
        assert officer.get(url).status_code == 403, url
    assert stored().is_draft
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Consultation)) == 1
    assert audit_count() == 0


def test_an_officer_reads_whether_a_published_one_can_go_back_to_draft(
    app, make_consultation, officer
):
    make_consultation()

    shown = text_of(page(officer.get(PAGE_URL)))

    assert "an admin can still set it back to draft" in shown


def test_the_admin_sees_every_action(admin, make_draft):
    make_draft()
    soup = page(admin.get(PAGE_URL))

    assert soup.find("a", href=f"{PAGE_URL}/settings") is not None
    assert soup.find("a", href=COPY_URL) is not None
    assert soup.find("a", href=EXPORT_URL) is not None
    assert soup.find("form", action=PUBLISH_URL) is not None


def test_an_unknown_consultation_is_not_found(admin):
    for url in (PAGE_URL, UNPUBLISH_URL, COPY_URL, EXPORT_URL):
        assert admin.get(url).status_code == 404, url


# --- the dashboard ----------------------------------------------------------------------------


def test_the_dashboard_lists_drafts_first_with_their_tag_and_no_public_page(
    admin, clock, make_consultation, make_draft
):
    make_consultation(slug="published-one", title="Published one")
    make_draft(title="A draft")
    soup = page(admin.get("/admin/"))

    rows = soup.select("li.admin-item")
    assert [r["id"] for r in rows] == [f"consultation-{SLUG}", "consultation-published-one"]
    draft, published = rows
    assert text_of(draft.find(class_="tag")) == "Draft"
    assert draft.find("a", href=PUBLIC_URL) is None
    assert draft.find("form", action=f"{PAGE_URL}/state") is None
    assert draft.find("h2").find("a")["href"] == PAGE_URL
    assert text_of(published.find(class_="tag")) == "Open"
    assert published.find("a", href="/consultations/published-one") is not None
    assert published.find("h2").find("a")["href"] == "/admin/consultations/published-one"
    create = soup.find("a", string="Create a consultation")
    assert create["href"] == "/admin/consultations/new"
    assert "button" in create["class"]


def test_drafts_with_one_title_are_told_apart_by_their_web_addresses(
    admin, make_consultation, make_draft
):
    make_draft(title="Parks review", slug="parks-review")
    make_draft(title="Parks review", slug="parks-review-2")
    make_consultation(title="Parks review", slug="parks")
    soup = page(admin.get("/admin/"))

    addresses = {
        row["id"]: text_of(address) if (address := row.find(class_="admin-item-address")) else None
        for row in soup.select("li.admin-item")
    }
    assert addresses == {
        "consultation-parks-review": "/consultations/parks-review",
        "consultation-parks-review-2": "/consultations/parks-review-2",
        "consultation-parks": None,  # its public page is linked instead
    }


def test_a_drafts_row_says_it_has_no_responses_yet_and_charts_nothing(
    admin, make_consultation, make_draft
):
    make_draft()
    make_draft(slug="no-ways", title="No ways yet", channels=[])
    make_consultation(slug="published-one", title="Published one", channels=["evidence"])
    soup = page(admin.get("/admin/"))

    def responses(slug: str) -> str:
        row = soup.find("li", id=f"consultation-{slug}")
        return text_of(row.find("dt", string="Responses").find_next_sibling("dd"))

    assert responses(SLUG) == "None yet"
    assert responses("no-ways") == "None yet"
    assert responses("published-one") == "Written evidence: 0"
    for slug in (SLUG, "no-ways"):
        assert soup.find("li", id=f"consultation-{slug}").find("figure") is None, slug


def test_the_dashboard_says_how_to_start_when_there_is_nothing(app, admin, officer):
    as_admin = text_of(page(admin.get("/admin/")))
    as_officer = page(officer.get("/admin/"))

    assert "There are no consultations yet." in as_admin
    assert "Create one with the button above." in as_admin
    assert "the person who runs the site can import them for you" in as_admin
    assert "flask" not in as_admin
    assert "An admin can create one." in text_of(as_officer)
    assert as_officer.find("a", string="Create a consultation") is None


def test_each_consultation_page_has_a_settings_tab_first(admin, make_consultation):
    make_consultation()

    for url in (PAGE_URL, f"{PAGE_URL}/responses", f"{PAGE_URL}/outcome"):
        tabs = page(admin.get(url)).find("nav", class_="sub-nav").find_all("a")
        assert (text_of(tabs[0]), tabs[0]["href"]) == ("Settings", PAGE_URL), url
    current = (
        page(admin.get(PAGE_URL)).find("nav", class_="sub-nav").find(attrs={"aria-current": "page"})
    )
    assert text_of(current) == "Settings"
