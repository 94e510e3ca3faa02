"""Any sequence of valid edits, made in the settings form as a browser sends it, leaves a
consultation whose downloaded file imports back as the same consultation (issue 18).

An admin creates a consultation through the form with random valid values (text in many
scripts and text YAML would misread; any ways of taking part; evidence settings within
their limits; dates in UK time, some beside the clock changes), then changes a few
settings at a time, one to five times, keeping the rest as the page shows them; now and
then publishes it, and agrees to moved dates when the page asks. Every change is saved
and shown; the downloaded file, imported with `flask consultations import` into an empty
database, gives every column back and downloads as the same text; and a copy downloads as
the same file but for its title and web address.

The copy page once suggested a title it then refused, when the consultation's title was
within seven characters of the longest allowed; the last test keeps it right.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from app.admin.authoring.settings import slug_from_title
from app.admin.authoring.settings_form import LIMITS, TITLE_LENGTH
from app.consultations.files import ATTACHMENT_TYPES
from app.models import CHANNELS
from tests.support.clients import START
from tests.support.consultation_files import (
    empty_database,
    found,
    stored,
)
from tests.support.many_scripts import LETTERS, SCRIPTS, long_text
from tests.support.pages import (
    error_messages,
    page,
    redirect_path,
    sent_by,
    text_of,
    with_changes,
)

NEW_URL = "/admin/consultations/new"
LONDON = ZoneInfo("Europe/London")
JOURNEYS = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
COPIES = settings(JOURNEYS, max_examples=12)  # the same journeys, fewer: a copy adds little


# --- what an admin types ------------------------------------------------------------------

# Text YAML would misread if it were written plainly; a browser sends each as it is.
AWKWARD = [
    "-",
    "- ",
    ":",
    ": ",
    "a: b",
    "#",
    " #",
    "yes",
    "No",
    "on",
    "null",
    "~",
    "3",
    "007",
    "1.5",
    "1e3",
    "0x1F",
    ".inf",
    "2027-01-01",
    "2027-01-01T09:00:00",
    "!",
    "!!str ",
    "&a ",
    "*a",
    "%",
    "@",
    "`",
    "|",
    ">",
    "{",
    "}",
    "[",
    "]",
    "'",
    '"',
    ",",
    "?",
    "\\",
    "---",
    "...",
    "<<",
    "<b>",
    "&amp;",
    "\t",
    " ",
    "\u00a0",
    "\u200b",
    "\u2028",
    "\ufeff",
    "🏘️",
    "👍🏽",
]
# Line breaks, for the boxes of several lines (a browser sends them as CRLF).
BREAKS = ["\n", "\n\n", "\n- ", "\n# ", "\n: ", "\n  "]


# Characters that are not white space, so that text holding one is never blank.
VISIBLE = st.sampled_from([char for char in SCRIPTS if not char.isspace()])


def typed(longest: int, lines: bool = False, blank: bool = False) -> st.SearchStrategy[str]:
    """Text as someone might type or paste it, up to `longest` (24 or more) characters;
    unless `blank`, with something visible in it."""
    pieces = st.lists(
        st.one_of(
            st.sampled_from(AWKWARD + (BREAKS if lines else [])),
            st.text(alphabet=LETTERS, min_size=1, max_size=12),
        ),
        max_size=4 if longest <= 200 else 16,
    ).map("".join)
    if blank:
        return st.tuples(pieces, pieces).map(lambda halves: "".join(halves)[:longest])
    visible = st.text(alphabet=VISIBLE, min_size=1, max_size=12)
    return st.tuples(pieces, visible, pieces).map(
        lambda parts: (parts[0][: longest // 2] + parts[1] + parts[2])[:longest]
    )


TITLES = st.one_of(
    typed(200),
    st.builds(lambda run, end: (run + end)[-200:], long_text(200), VISIBLE),  # up to the longest
)
SLUGS = st.from_regex(r"[a-z0-9]{1,12}(-[a-z0-9]{1,12}){0,3}", fullmatch=True).filter(
    lambda slug: slug != "new"  # the page that creates one
)
EMAILS = [
    "policy@example.org",
    "Jo.Bloggs+consult@example.co.uk",
    "josé@example.org",
    "ama@EXAMPLE.ORG",
    "o'neill@example.org",
]
PHONES = [
    "",
    "020 7946 0000",
    "+44 808 157 0192",
    "029 2018 0123",
    "+33 1 42 68 53 00",
    "+1 212 736 5000",
]
YES_NO = st.sampled_from(["yes", "no"])


def option_lines(at_least_one: bool = False) -> st.SearchStrategy[str]:
    """One respondent type or theme a line."""
    return st.lists(typed(60), min_size=int(at_least_one), max_size=4).map("\n".join)


def whole(name: str) -> st.SearchStrategy[str]:
    """A whole number within the field's limits, sometimes with a thousands comma, or empty."""
    low, high = LIMITS[name]
    number = st.integers(low, high).flatmap(lambda n: st.sampled_from([str(n), f"{n:,}"]))
    return st.one_of(st.just(""), number)


# Dates in UK time: any minute within 400 days of the test clock's start, or the small hours
# of a day the clocks change.
START_IN_UK = START.astimezone(LONDON).replace(tzinfo=None)
CLOCK_CHANGES = [date(2026, 3, 29), date(2026, 10, 25), date(2027, 3, 28), date(2027, 10, 31)]
TIME_FORMAT = "%Y-%m-%dT%H:%M"  # as a datetime-local input sends it


def instant(wall: datetime) -> datetime:
    """A UK wall-clock time as UTC; in the hour that comes twice, the first."""
    return wall.replace(tzinfo=LONDON).astimezone(UTC)


def exists_in_uk(wall: datetime) -> bool:
    """False for the hour skipped when the clocks go forward."""
    return instant(wall).astimezone(LONDON).replace(tzinfo=None) == wall


WALL_TIMES = st.one_of(
    st.integers(-400 * 24 * 60, 400 * 24 * 60)
    .map(lambda minutes: START_IN_UK + timedelta(minutes=minutes))
    .filter(exists_in_uk),
    st.sampled_from(
        [
            wall
            for day in CLOCK_CHANGES
            for minutes in range(4 * 60 + 1)
            if exists_in_uk(wall := datetime.combine(day, time()) + timedelta(minutes=minutes))
        ]
    ),
)
DATE_PAIRS = st.lists(WALL_TIMES, min_size=2, max_size=2, unique=True).map(sorted)
DATE_FIELDS = ("opens_at", "closes_at")


def shown_time(wall: datetime) -> str:
    return wall.strftime(TIME_FORMAT)


@st.composite
def moved_dates(draw, shown: MultiDict) -> dict[str, str]:
    """The opening time, the deadline or both moved, the deadline still the later."""
    opens, closes = (datetime.strptime(shown[name], TIME_FORMAT) for name in DATE_FIELDS)
    if draw(st.booleans()):
        opens, closes = draw(DATE_PAIRS)
    else:
        moment = draw(WALL_TIMES.filter(lambda wall: wall not in (opens, closes)))
        if moment < closes:
            opens = moment
        else:
            closes = moment
    return {"opens_at": shown_time(opens), "closes_at": shown_time(closes)}


def settings_values(shown: MultiDict, published: bool) -> dict[str, st.SearchStrategy]:
    """For each setting, valid changes to it: a published consultation keeps what
    publishing needs (it has no survey questions, so it offers no survey)."""
    one = {
        "title": TITLES,
        "summary": typed(400, lines=True),
        "body": typed(2000, lines=True, blank=True),
        "grace_minutes": whole("grace_minutes"),
        "officer_name": typed(200),
        "officer_email": st.sampled_from(EMAILS if published else ["", *EMAILS]),
        "officer_phone": st.sampled_from(PHONES),
        "channels": st.lists(
            st.sampled_from(["evidence", "contact"] if published else CHANNELS),
            min_size=int(published),
            unique=True,
        ),
        "respondent_types": option_lines(),
        "topics": option_lines(),
        "evidence_max_length": whole("evidence_max_length"),
        "max_files": whole("max_files"),
        "max_mb": whole("max_mb"),
        "attachment_types": st.lists(st.sampled_from(ATTACHMENT_TYPES), unique=True),
        "messages_after_close": YES_NO,
        "bookings_after_close": YES_NO,
        "alert_mode": st.sampled_from(["instant", "daily"]),
    }
    if not published:
        one["slug"] = SLUGS  # fixed once published
    changes = {
        name: values.map(lambda value, name=name: {name: value}) for name, values in one.items()
    }
    changes["dates"] = moved_dates(shown)
    return changes


@st.composite
def edits(draw, shown: MultiDict, published: bool) -> dict[str, Any]:
    """A few settings changed (the dates more often than the rest), each to a valid value."""
    values = settings_values(shown, published)
    names = draw(st.lists(st.sampled_from(sorted(values)), min_size=1, max_size=3, unique=True))
    if draw(st.integers(0, 3)) == 0:
        names.append("dates")  # a published consultation's ask first
    changes: dict[str, Any] = {}
    for name in names:
        changes.update(draw(values[name]))
    return kept_whole(draw, shown, changes, published)


def kept_whole(draw, shown: MultiDict, changes: dict[str, Any], published: bool) -> dict[str, Any]:
    """`changes`, with what the settings they leave need of one another: documents need
    a type unless none are taken (0); a published consultation offering written evidence
    needs a theme."""
    after = with_changes(shown, changes)
    if not after.getlist("attachment_types") and after["max_files"].replace(",", "") != "0":
        changes.update(
            draw(
                st.one_of(
                    st.just({"max_files": "0"}),
                    st.lists(st.sampled_from(ATTACHMENT_TYPES), min_size=1, unique=True).map(
                        lambda types: {"attachment_types": types}
                    ),
                )
            )
        )
    if published and "evidence" in after.getlist("channels") and not has_lines(after["topics"]):
        changes["topics"] = draw(option_lines(at_least_one=True))
    return changes


@st.composite
def new_consultations(draw, defaults: MultiDict) -> dict[str, Any]:
    """What an admin types in the new consultation form: every field it needs, and some of
    the optional ones changed from their defaults. Often complete enough to publish."""
    title = draw(TITLES)
    opens, closes = draw(DATE_PAIRS)
    # Mostly what publishing needs: a way of taking part other than an empty survey.
    channels = draw(st.lists(st.sampled_from(["evidence", "contact"]), min_size=1, unique=True))
    if draw(st.integers(0, 3)) == 0:
        channels = [*draw(st.lists(st.just("evidence"), max_size=1)), "survey"]
    typed_in = {
        "title": title,
        # A title without Latin letters or digits gives no web address to make.
        "slug": draw(SLUGS) if not slug_from_title(title) or draw(st.booleans()) else "",
        "summary": draw(typed(400, lines=True)),
        "body": draw(typed(2000, lines=True, blank=True)),
        "opens_at": shown_time(opens),
        "closes_at": shown_time(closes),
        "officer_name": draw(typed(200)),
        "officer_email": draw(st.sampled_from(["", *EMAILS])),
        "officer_phone": draw(st.sampled_from(PHONES)),
        "channels": channels,
        "topics": draw(option_lines(at_least_one=draw(st.integers(0, 3)) > 0)),
    }
    optional = settings_values(MultiDict(), published=False)
    for name in draw(
        st.lists(
            st.sampled_from(
                [
                    "grace_minutes",
                    "respondent_types",
                    "evidence_max_length",
                    "max_files",
                    "max_mb",
                    "attachment_types",
                    "messages_after_close",
                    "bookings_after_close",
                    "alert_mode",
                ]
            ),
            unique=True,
        )
    ):
        typed_in.update(draw(optional[name]))
    return kept_whole(draw, defaults, typed_in, published=False)


# --- the form as a browser sends it --------------------------------------------------------


def shown_form(response) -> tuple[MultiDict, set[str]]:
    """The settings form as a browser sends it, and the names of its boxes of several
    lines (whose line breaks a browser sends as CRLF)."""
    form = page(response).find(
        "form", action=lambda action: action == NEW_URL or action.endswith("/settings")
    )
    assert form is not None, "no settings form on the page"
    sent = sent_by(form)
    boxes = {box["name"] for box in form.find_all("textarea")}
    for name in boxes:
        # A browser reads line breaks as LF, and not the one just after <textarea>.
        sent[name] = sent[name].replace("\r\n", "\n").replace("\r", "\n").removeprefix("\n")
    return sent, boxes


def as_sent(data: MultiDict, boxes: set[str]) -> MultiDict:
    """What the browser puts on the wire: line breaks in a box of several lines as CRLF."""
    return MultiDict(
        (name, value.replace("\n", "\r\n") if name in boxes else value)
        for name, value in data.items(multi=True)
    )


def has_lines(text: str) -> bool:
    return any(line.strip() for line in text.splitlines())


def one_line(text: str) -> str:
    return " ".join(text.split())


# --- the consultation as stored, and the database emptied ---------------------------------


# --- the admin's journey --------------------------------------------------------------------


@dataclass
class Made:
    """The consultation the journey made, as the admin knows it."""

    slug: str
    published: bool = False

    @property
    def page_url(self) -> str:
        return f"/admin/consultations/{self.slug}"

    @property
    def settings_url(self) -> str:
        return f"{self.page_url}/settings"


def saved(admin, response, sent: MultiDict, made: Made) -> None:
    """The save went through to the consultation's page, which shows the new title."""
    assert response.status_code == 303, error_messages(response)
    made.slug = redirect_path(response).removeprefix("/admin/consultations/")
    if sent.get("slug") and not made.published:
        assert made.slug == sent["slug"]
    shown = admin.get(made.page_url)
    assert shown.status_code == 200
    soup = page(shown)
    title = one_line(sent["title"])
    assert text_of(soup.find("h1")) == title
    assert text_of(soup.find(id="setting-title").find("dd")) == title
    assert one_line(sent["officer_name"]) in text_of(soup.find(id="setting-officer"))


def ready_to_publish(sent: MultiDict, now: datetime) -> bool:
    """Whether what was saved has everything publishing needs (no survey has questions)."""
    channels = sent.getlist("channels")
    return (
        bool(sent["officer_email"])
        and bool(channels)
        and "survey" not in channels
        and ("evidence" not in channels or has_lines(sent["topics"]))
        and instant(datetime.strptime(sent["closes_at"], TIME_FORMAT)) > now
    )


def maybe_publish(admin, draw, made: Made, sent: MultiDict, now: datetime) -> None:
    """Now and then, publish the draft, when its page offers to."""
    if made.published or draw.draw(st.integers(0, 2), label="publish now") == 0:
        return
    soup = page(admin.get(made.page_url))
    form = soup.find("form", action=f"{made.page_url}/publish")
    assert (form is not None) == ready_to_publish(sent, now), text_of(soup.find(id="checklist"))
    if form is None:
        return
    token = form.find("input", attrs={"name": "csrf_token"})["value"]
    published = admin.post(f"{made.page_url}/publish", data={"csrf_token": token})
    assert published.status_code == 303, error_messages(published)
    made.published = True


def is_open(dates: MultiDict, now: datetime) -> bool:
    opens, closes = (instant(datetime.strptime(dates[name], TIME_FORMAT)) for name in DATE_FIELDS)
    return opens <= now < closes


def edit(admin, draw, made: Made, now: datetime) -> MultiDict:
    """Open the settings, change a few of them, save; agree to moved dates if asked."""
    response = admin.get(made.settings_url)
    assert response.status_code == 200
    shown, boxes = shown_form(response)
    sent = with_changes(shown, draw.draw(edits(shown, made.published), label="edit"))
    response = admin.post(made.settings_url, data=as_sent(sent, boxes))
    moved = any(shown[name] != sent[name] for name in DATE_FIELDS)
    asked = response.status_code == 200 and page(response).find(id="date-change") is not None
    # Moving the dates of a published consultation taking responses asks first; nothing
    # else does (a move that opens one may ask too).
    if made.published and moved and is_open(shown, now):
        assert asked, error_messages(response)
    if asked:
        assert made.published and moved
        confirmed, boxes = shown_form(response)
        assert confirmed.get("confirm")
        response = admin.post(made.settings_url, data=as_sent(confirmed, boxes))
        event("agreed to move the dates of a published consultation")
    saved(admin, response, sent, made)
    return sent


def create_and_edit(admin, draw, now: datetime) -> Made:
    """An admin creates a consultation, then changes it one to five times, publishing it
    now and then."""
    response = admin.get(NEW_URL)
    assert response.status_code == 200
    defaults, boxes = shown_form(response)
    sent = with_changes(defaults, draw.draw(new_consultations(defaults), label="new consultation"))
    made = Made(slug="")
    saved(admin, admin.post(NEW_URL, data=as_sent(sent, boxes)), sent, made)
    assert found(made.slug).is_draft
    for _ in range(draw.draw(st.integers(1, 5), label="number of edits")):
        maybe_publish(admin, draw, made, sent, now)
        sent = edit(admin, draw, made, now)
    assert found(made.slug).is_draft != made.published
    event("published" if made.published else "a draft")
    return made


def downloaded(admin, slug: str) -> str:
    response = admin.get(f"/admin/consultations/{slug}/export.yaml")
    assert response.status_code == 200
    assert response.mimetype == "application/yaml"
    return response.get_data(as_text=True)


def imported(runner, tmp_path: Path, text: str, draft: bool):
    path = tmp_path / "downloaded.yaml"
    path.write_text(text, encoding="utf-8")
    return runner.invoke(
        args=["consultations", "import", *(["--draft"] if draft else []), str(path)]
    )


def without_name(text: str) -> dict[str, Any]:
    """A downloaded file's settings, but for its title and web address."""
    data = yaml.safe_load(text)
    del data["title"], data["slug"]
    return data


# --- the properties -------------------------------------------------------------------------


@JOURNEYS
@given(draw=st.data())
def test_any_sequence_of_valid_edits_downloads_a_file_that_imports_as_the_same_consultation(
    admin, runner, tmp_path, clock, draw
):
    empty_database()
    made = create_and_edit(admin, draw, clock.now)
    before = stored(made.slug)
    text = downloaded(admin, made.slug)

    empty_database()
    result = imported(runner, tmp_path, text, draft=not made.published)

    assert result.exit_code == 0, f"{result.output}\n{text}"
    after = stored(made.slug)
    # Only what differs, so that a failure is quick to report while hypothesis shrinks it.
    assert not {key: (was, after[key]) for key, was in before.items() if after[key] != was}, text
    assert found(made.slug).is_draft != made.published
    assert downloaded(admin, made.slug) == text


def copy_form(admin, made: Made) -> dict[str, str]:
    """The copy page's form as it comes: its CSRF token, the suggested title and address."""
    response = admin.get(f"{made.page_url}/copy")
    assert response.status_code == 200
    form = page(response).find("form", action=f"{made.page_url}/copy")
    return {
        name: form.find("input", attrs={"name": name})["value"]
        for name in ("csrf_token", "title", "slug")
    }


@COPIES
@given(draw=st.data())
def test_a_copy_of_an_edited_consultation_downloads_as_the_same_file_but_its_name(
    admin, clock, draw
):
    empty_database()
    made = create_and_edit(admin, draw, clock.now)
    sent = copy_form(admin, made)  # the suggested title and address, kept as they come

    copied = admin.post(f"{made.page_url}/copy", data=sent)

    assert copied.status_code == 303, error_messages(copied)
    slug = redirect_path(copied).removeprefix("/admin/consultations/")
    assert slug == sent["slug"] != made.slug
    assert found(slug).is_draft
    source, copy = downloaded(admin, made.slug), downloaded(admin, slug)
    assert (yaml.safe_load(copy)["title"], yaml.safe_load(copy)["slug"]) == (sent["title"], slug)
    assert without_name(copy) == without_name(source)


def test_the_copy_of_a_longest_title_is_made_as_the_page_suggests(admin):
    """Pressing "Make the copy" as the page comes makes the copy, whatever the title."""
    longest = ("Gwasanaethau’n lleol, " * 10)[: TITLE_LENGTH - 1] + "."
    defaults, boxes = shown_form(admin.get(NEW_URL))
    sent = with_changes(
        defaults,
        {
            "title": longest,
            "summary": "Who runs local services.",
            "opens_at": "2027-03-01T09:00",
            "closes_at": "2027-04-30T17:00",
            "officer_name": "Ama Mensah",
        },
    )
    made = Made(slug="")
    saved(admin, admin.post(NEW_URL, data=as_sent(sent, boxes)), sent, made)
    assert found(made.slug).title == longest

    copied = admin.post(f"{made.page_url}/copy", data=copy_form(admin, made))

    assert copied.status_code == 303, error_messages(copied)
