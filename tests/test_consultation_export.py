"""Exporting a consultation as its file: what `flask consultations import` reads back.

The promise: importing an exported file into an empty database gives the same
consultation, every column of it and of each of its questions. It is checked on the demo
files, on random consultations of every shape (text in many scripts and text YAML would
misread, routed surveys, drafts), and after random sequences of edits. Every key of the
file format is also changed by name and read back.
"""

from __future__ import annotations

import copy
import types
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Union, get_args, get_origin
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from sqlalchemy import inspect, select

from app import create_app
from app.consultations.checklist import missing
from app.consultations.files import (
    ATTACHMENT_TYPES,
    ConsultationSpec,
    apply_settings,
    file_data,
    file_text,
    parse_consultation,
    save_consultation,
)
from app.consultations.survey_schema import QUESTION_TYPES
from app.extensions import db
from app.models import CHANNELS, Consultation, Question
from tests.support.consultation_files import (
    NOT_IN_THE_FILE,
    QUESTION_IDS,
    empty_database,
    found,
    stored,
)
from tests.support.many_scripts import LETTERS

DEMO_DIR = Path(__file__).resolve().parent.parent / "app" / "demo"
LONDON = ZoneInfo("Europe/London")

ROUND_TRIPS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


# --- helpers --------------------------------------------------------------------------------


def import_text(runner, tmp_path: Path, text: str, draft: bool = False):
    path = tmp_path / "exported.yaml"
    path.write_text(text, encoding="utf-8")
    return runner.invoke(
        args=["consultations", "import", *(["--draft"] if draft else []), str(path)]
    )


def assert_round_trip(runner, tmp_path: Path, slug: str) -> None:
    """Export the consultation, empty the database, import the file: the same consultation."""
    before = stored(slug)
    draft = found(slug).is_draft
    text = file_text(found(slug))

    empty_database()
    result = import_text(runner, tmp_path, text, draft=draft)

    assert result.exit_code == 0, f"{result.output}\n{text}"
    assert stored(slug) == before, text
    assert found(slug).is_draft == draft
    assert file_text(found(slug)) == text


def with_value(data: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of the file's data with one key path ('survey.pages.0.title') set."""
    changed = copy.deepcopy(data)
    *parents, last = [int(part) if part.isdigit() else part for part in path.split(".")]
    target = changed
    for part in parents:
        target = target[part]
    target[last] = value
    return changed


def value_at(data: dict[str, Any], path: str) -> Any:
    """The value at a key path, or None where the file leaves the key out."""
    for part in path.split("."):
        data = data[int(part)] if part.isdigit() else data.get(part)
    return data


# --- the demo files -------------------------------------------------------------------------


@pytest.fixture
def other_app(databases, app_config):
    """A second app on a database of its own, empty."""
    url = databases.fresh()
    other = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": url})
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()
    databases.drop(url)


@pytest.mark.parametrize("path", sorted(DEMO_DIR.glob("*.yaml")), ids=lambda path: path.stem)
def test_a_demo_file_exported_imports_into_a_fresh_database_as_the_same(
    runner, other_app, tmp_path, path
):
    assert runner.invoke(args=["consultations", "import", str(path)]).exit_code == 0
    slug = yaml.safe_load(path.read_text(encoding="utf-8"))["slug"]
    original = stored(slug)
    assert original["questions"] or original["evidence_settings"]
    text = file_text(found(slug))
    exported = tmp_path / "exported.yaml"
    exported.write_text(text, encoding="utf-8")

    with other_app.app_context():
        assert db.session.scalar(select(Consultation)) is None
        result = other_app.test_cli_runner().invoke(args=["consultations", "import", str(exported)])
        assert result.exit_code == 0, result.output
        assert stored(slug) == original
        assert file_text(found(slug)) == text


def test_the_comparison_takes_every_column_a_file_carries():
    """A new column must be exported, or named here as one a file does not carry."""
    compared = {a.key for a in inspect(Consultation).column_attrs} - NOT_IN_THE_FILE
    assert compared == {
        "slug",
        "title",
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
    }
    assert {a.key for a in inspect(Question).column_attrs} - QUESTION_IDS == {
        "key",
        "page",
        "page_title",
        "position",
        "type",
        "prompt",
        "hint",
        "required",
        "options",
        "settings",
        "show_if",
    }


# --- every key of the file, by name ---------------------------------------------------------

# A file as `file_data` writes it: every key, the evidence settings in full, times in UK time.
BASE: dict[str, Any] = {
    "slug": "town-centre-services-2027",
    "title": "Town centre services, who runs them",
    "summary": "How are services in town centres paid for and run?",
    "body": "## Background\n\nTell us how services in your town centre are run.",
    "opens_at": datetime(2027, 1, 4, 9, 0, tzinfo=LONDON),
    "closes_at": datetime(2027, 7, 2, 17, 0, tzinfo=LONDON),
    "grace_minutes": 30,
    "officer": {"name": "Jo Bloggs", "email": "jo.bloggs@example.org", "phone": "+44 161 496 0999"},
    "channels": ["survey", "evidence", "contact"],
    "survey": {
        "pages": [
            {
                "title": "Who you are",
                "questions": [
                    {
                        "key": "sector",
                        "type": "single",
                        "prompt": "Which sector are you in?",
                        "required": True,
                        "options": ["Voluntary sector", "Local council", "Other"],
                    },
                    {
                        "key": "obstacles",
                        "type": "multi",
                        "prompt": "What gets in the way?",
                        "hint": "Select all that apply.",
                        "options": ["Contract size", "Paperwork"],
                    },
                    {
                        "key": "delivers",
                        "type": "yesno",
                        "prompt": "Do you deliver public service contracts?",
                        "show_if": {"sector": ["Voluntary sector"]},
                    },
                ],
            },
            {
                "title": "Your views",
                "questions": [
                    {
                        "key": "confidence",
                        "type": "scale",
                        "prompt": "How far do you agree that services are bought well?",
                        "scale": {"min": "Strongly disagree", "max": "Strongly agree"},
                    },
                    {
                        "key": "story",
                        "type": "longtext",
                        "prompt": "Tell us about one contract.",
                        "max_length": 3000,
                    },
                    {
                        "key": "budget",
                        "type": "number",
                        "prompt": "What is your yearly budget in pounds?",
                        "min": 0.0,
                        "max": 1_000_000.0,
                    },
                    {"key": "follow_up", "type": "email", "prompt": "Email for questions"},
                ],
            },
        ]
    },
    "evidence": {
        "respondent_types": ["Community organisation", "Elected councillor", "Other"],
        "topics": ["Changes in public services", "Contracts that did not deliver"],
        "max_length": 20_000,
        "attachments": {"max_files": 3, "max_mb": 10, "types": ["pdf", "docx", "odt", "txt"]},
    },
    "contact": {"messages_after_close": True, "bookings_after_close": False},
    "alert_mode": "instant",
}

# One change for each key of the file format, each valid in BASE.
CHANGES = [
    ("slug", "town-centres-2028"),
    ("title", "Town centres: who should run them?"),
    ("summary", "Who should run services in town centres?"),
    ("body", "## New background\n\nA second paragraph.\n\n- and a list"),
    ("opens_at", datetime(2027, 2, 1, 8, 30, tzinfo=LONDON)),
    ("closes_at", datetime(2027, 10, 31, 1, 30, tzinfo=LONDON)),  # the hour that comes twice
    ("grace_minutes", 0),
    ("officer.name", "Sam Okafor"),
    ("officer.email", "sam.okafor@example.org"),
    ("officer.phone", "0161 496 0000"),
    ("channels", ["contact", "survey"]),
    ("survey.pages.0.title", "About you"),
    ("survey.pages.0.questions.1.key", "barriers"),
    ("survey.pages.1.questions.1.type", "text"),
    ("survey.pages.0.questions.0.prompt", "Where do you work?"),
    ("survey.pages.0.questions.1.hint", "Choose any that apply."),
    ("survey.pages.1.questions.0.required", True),
    ("survey.pages.0.questions.0.options", ["Voluntary sector", "Private company", "Other"]),
    ("survey.pages.0.questions.1.allow_other", True),
    ("survey.pages.1.questions.1.max_length", 500),
    ("survey.pages.1.questions.2.min", -10.5),
    ("survey.pages.1.questions.2.max", 2500.25),
    ("survey.pages.1.questions.0.scale.min", "Not at all"),
    ("survey.pages.1.questions.0.scale.max", "Completely"),
    ("survey.pages.0.questions.2.show_if", {"sector": ["Voluntary sector", "Other"]}),
    ("evidence.respondent_types", ["Charity", "Councillor"]),
    ("evidence.topics", ["Funding"]),
    ("evidence.max_length", 5000),
    ("evidence.attachments.max_files", 1),
    ("evidence.attachments.max_mb", 25),
    ("evidence.attachments.types", ["pdf"]),
    ("contact.messages_after_close", False),
    ("contact.bookings_after_close", True),
    ("alert_mode", "daily"),
]


def import_data(runner, tmp_path: Path, data: dict[str, Any]) -> Consultation:
    path = tmp_path / "consultation.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    result = runner.invoke(args=["consultations", "import", str(path)])
    assert result.exit_code == 0, result.output
    return found(data["slug"])


def read_back(item: Consultation) -> dict[str, Any]:
    """The exported file, read as any YAML reader would, with its times in UTC."""
    return in_utc(yaml.safe_load(file_text(item)))


def in_utc(data: Any) -> Any:
    """The data with every time in UTC: Python never finds a time in the hour that comes
    twice equal to one in another zone, even at the same instant."""
    if isinstance(data, dict):
        return {key: in_utc(value) for key, value in data.items()}
    if isinstance(data, list):
        return [in_utc(value) for value in data]
    return data.astimezone(UTC) if isinstance(data, datetime) else data


def test_a_file_as_export_writes_it_reads_back_unchanged(runner, tmp_path):
    item = import_data(runner, tmp_path, BASE)
    assert file_data(item) == BASE
    assert read_back(item) == in_utc(BASE)


@pytest.mark.parametrize("path, value", CHANGES, ids=[path for path, _ in CHANGES])
def test_each_key_of_the_file_is_exported_as_imported(runner, tmp_path, path, value):
    assert value_at(BASE, path) != value
    changed = with_value(BASE, path, value)

    item = import_data(runner, tmp_path, changed)

    assert value_at(read_back(item), path) == in_utc(value)
    assert read_back(item) == in_utc(changed)


def leaf_keys(model: type[BaseModel], prefix: str = "") -> set[str]:
    """Every key path of the file format that holds a value, list positions written N."""
    found = set()
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if get_origin(annotation) in (Union, types.UnionType):
            annotation = next(arg for arg in get_args(annotation) if arg is not type(None))
        path = f"{prefix}{name}"
        if get_origin(annotation) is list and issubclass_model(get_args(annotation)[0]):
            found |= leaf_keys(get_args(annotation)[0], f"{path}.N.")
        elif issubclass_model(annotation):
            found |= leaf_keys(annotation, f"{path}.")
        else:
            found.add(path)
    return found


def issubclass_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def test_the_changes_name_every_key_of_the_file_format():
    changed = {
        ".".join("N" if part.isdigit() else part for part in path.split(".")) for path, _ in CHANGES
    }
    assert changed == leaf_keys(ConsultationSpec)
    assert {"officer.phone", "survey.pages.N.questions.N.scale.max", "alert_mode"} <= changed


def test_the_file_keys_come_in_the_order_of_the_file_format(runner, tmp_path):
    data = file_data(import_data(runner, tmp_path, BASE))
    assert list(data) == list(ConsultationSpec.model_fields)
    assert list(data["officer"]) == ["name", "email", "phone"]
    assert list(data["evidence"]) == ["respondent_types", "topics", "max_length", "attachments"]
    assert list(data["contact"]) == ["messages_after_close", "bookings_after_close"]
    assert list(data["survey"]["pages"][0]["questions"][0]) == [
        "key",
        "type",
        "prompt",
        "required",
        "options",
    ]


# --- how the file reads ---------------------------------------------------------------------


def test_times_are_written_in_uk_time_with_their_offset(runner, tmp_path):
    text = file_text(import_data(runner, tmp_path, BASE))
    assert "\nopens_at: 2027-01-04T09:00:00+00:00\n" in text  # GMT
    assert "\ncloses_at: 2027-07-02T17:00:00+01:00\n" in text  # BST


def test_times_are_written_in_the_sites_zone(app, runner, tmp_path):
    app.config["SITE_ZONE"] = ZoneInfo("Pacific/Auckland")
    text = file_text(import_data(runner, tmp_path, BASE))
    assert "\ncloses_at: 2027-07-03T04:00:00+12:00\n" in text
    assert found(BASE["slug"]).closes_at == datetime(2027, 7, 2, 16, 0, tzinfo=UTC)


def test_a_body_of_several_lines_is_a_literal_block(runner, tmp_path):
    text = file_text(import_data(runner, tmp_path, BASE))
    assert "\nbody: |-\n  ## Background\n\n  Tell us how services" in text


def test_the_evidence_settings_in_force_are_written_in_full(runner, tmp_path):
    data = with_value(BASE, "evidence", {"topics": ["Funding"]})
    evidence = file_data(import_data(runner, tmp_path, data))["evidence"]
    assert evidence == {
        "respondent_types": [
            "Community organisation",
            "Elected councillor",
            "Council officer",
            "Think tank",
            "Academic",
            "Other",
        ],
        "topics": ["Funding"],
        "max_length": 20_000,
        "attachments": {"max_files": 3, "max_mb": 10, "types": ["pdf", "docx", "odt", "txt"]},
    }


def test_a_consultation_without_survey_or_evidence_has_neither_key(runner, tmp_path):
    data = {key: value for key, value in BASE.items() if key not in ("survey", "evidence")}
    item = import_data(runner, tmp_path, {**data, "channels": ["contact"]})
    exported = file_data(item)
    assert "survey" not in exported and "evidence" not in exported
    assert exported["channels"] == ["contact"]


# Values YAML would misread if they were written as they are.
AWKWARD_TITLES = [
    "- a list?",
    ": a key?",
    "#not a comment",
    "yes",
    "No",
    "3",
    "1.50",
    "2027-03-01",
    "null",
    "~",
    "@mention",
    "`code`",
    "'single' and \"double\" quotes",
    "[not, a, list]",
    "{not: a mapping}",
    "& anchor * alias ! tag % directive | pipe > fold",
    "Gwasanaethau’n lleol, الخدمات المحلية, 本地服务 🏘️👍🏽",
    "zero\u200bwidth and a line\u2028separator",
]


@pytest.mark.parametrize("title", AWKWARD_TITLES)
def test_a_value_yaml_would_misread_is_written_so_it_reads_back(app, runner, tmp_path, title):
    item = save_generated(app, {**BASE, "title": title})
    assert item.title == title
    assert read_back(item)["title"] == title
    assert_round_trip(runner, tmp_path, BASE["slug"])


def test_an_exported_draft_imports_back_as_a_draft_and_only_as_one(app, runner, tmp_path):
    data = {key: value for key, value in BASE.items() if key not in ("survey",)}
    data = with_value(with_value(data, "officer.email", ""), "evidence.topics", [])
    assert save_generated(app, data).is_draft
    text = file_text(found(BASE["slug"]))
    empty_database()

    refused = import_text(runner, tmp_path, text)
    assert refused.exit_code == 1
    assert "officer.email: required: add the policy officer's email address" in refused.stderr
    assert "survey: required because channels includes survey" in refused.stderr
    assert db.session.scalar(select(Consultation)) is None

    result = import_text(runner, tmp_path, text, draft=True)
    assert result.exit_code == 0, result.output
    item = found(BASE["slug"])
    assert item.is_draft
    assert file_text(item) == text


# --- random consultations -------------------------------------------------------------------

# What people type that YAML would misread if it were written unquoted.
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
    "true",
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
    "\\n",
    "\t",
    "\n",
    "\n\n",
    "\r\n",
    "\r",
    " ",
    "  ",
    "---",
    "...",
    "<<",
    "\u00a0",
    "\u200b",
    "\u2028",
    "\u2029",
    "\x85",
    "\ufeff",
]
PIECES = st.one_of(st.sampled_from(AWKWARD), st.text(alphabet=LETTERS, min_size=1, max_size=12))


def typed(longest: int, blank: bool = False) -> st.SearchStrategy[str]:
    """Text as someone might type or paste it, up to `longest` characters."""
    pieces = st.lists(PIECES, max_size=8 if longest <= 200 else 40)
    text = pieces.map(lambda parts: "".join(parts)[:longest])
    return text if blank else text.filter(str.strip)


def options() -> st.SearchStrategy[list[str]]:
    return st.lists(typed(200), min_size=2, max_size=5, unique_by=str.strip)


SLUGS = st.from_regex(r"[a-z0-9]{1,12}(-[a-z0-9]{1,12}){0,3}", fullmatch=True)
KEYS = st.from_regex(r"[a-z][a-z0-9_]{0,20}", fullmatch=True)
EMAILS = st.sampled_from(
    ["", "policy@example.org", "Jo.Bloggs+consult@example.co.uk", "josé@example.org"]
)
ZONES = st.sampled_from(
    [UTC, LONDON, timezone(timedelta(hours=-5)), timezone(timedelta(hours=5, minutes=30))]
)
INSTANTS = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
LATER = st.timedeltas(min_value=timedelta(microseconds=1), max_value=timedelta(days=400))
ROUTABLE_ANSWERS = {"yesno": ["yes", "no"], "scale": ["1", "2", "3", "4", "5"]}


@st.composite
def questions(draw, key: str) -> dict[str, Any]:
    """One question of any type, with the settings its type takes, some left out."""
    kind = draw(st.sampled_from(QUESTION_TYPES))
    question: dict[str, Any] = {"key": key, "type": kind, "prompt": draw(typed(300))}
    if draw(st.booleans()):
        question["hint"] = draw(typed(300, blank=True))
    if draw(st.booleans()):
        question["required"] = draw(st.booleans())
    if kind in ("single", "multi"):
        question["options"] = draw(options())
    if kind == "multi" and draw(st.booleans()):
        question["allow_other"] = draw(st.booleans())
    if kind in ("text", "longtext") and draw(st.booleans()):
        question["max_length"] = draw(st.integers(1, 50_000))
    if kind == "number":
        bounds = sorted(
            draw(
                st.lists(st.floats(allow_nan=False, allow_infinity=False), max_size=2, unique=True)
            )
        )
        names = (
            ["min", "max"]
            if len(bounds) == 2
            else draw(
                st.lists(
                    st.sampled_from(["min", "max"]), min_size=len(bounds), max_size=len(bounds)
                )
            )
        )
        question.update(zip(names, bounds, strict=True))
    if kind == "scale" and draw(st.booleans()):
        question["scale"] = {"min": draw(typed(200)), "max": draw(typed(200))}
    return question


@st.composite
def surveys(draw) -> dict[str, Any]:
    """Pages of questions; a show_if names only earlier choice, yes/no or scale questions and
    their answers."""
    count = draw(st.integers(1, 7))
    keys = draw(st.lists(KEYS, min_size=count, max_size=count, unique=True))
    asked: list[dict[str, Any]] = []
    answers: dict[str, list[str]] = {}
    for key in keys:
        question = draw(questions(key))
        if answers and draw(st.booleans()):
            named = draw(
                st.lists(st.sampled_from(sorted(answers)), min_size=1, max_size=2, unique=True)
            )
            question["show_if"] = {
                name: draw(
                    st.lists(st.sampled_from(answers[name]), min_size=1, max_size=3, unique=True)
                )
                for name in named
            }
        if question["type"] in ("single", "multi"):
            answers[key] = question["options"]
        elif question["type"] in ROUTABLE_ANSWERS:
            answers[key] = ROUTABLE_ANSWERS[question["type"]]
        asked.append(question)
    cuts = sorted(draw(st.sets(st.integers(1, count - 1), max_size=2))) if count > 1 else []
    bounds = [0, *cuts, count]
    return {
        "pages": [
            {"title": draw(typed(200)), "questions": asked[start:end]}
            for start, end in zip(bounds, bounds[1:], strict=False)
        ]
    }


def evidence_sections(needs_topics: bool = False) -> st.SearchStrategy[dict[str, Any]]:
    """Written evidence settings, any of them left to their defaults."""
    topics = st.lists(typed(200), min_size=1 if needs_topics else 0, max_size=4)
    optional = {
        "respondent_types": st.lists(typed(200), min_size=1, max_size=4, unique_by=str.strip),
        "max_length": st.integers(1, 100_000),
        "attachments": st.fixed_dictionaries(
            {},
            optional={
                "max_files": st.integers(0, 10),
                "max_mb": st.integers(1, 25),
                "types": st.lists(st.sampled_from(ATTACHMENT_TYPES), unique=True, min_size=1),
            },
        ),
    }
    if needs_topics:
        return st.fixed_dictionaries({"topics": topics}, optional=optional)
    return st.fixed_dictionaries({}, optional={"topics": topics, **optional})


@st.composite
def consultation_files(draw) -> dict[str, Any]:
    """A consultation file that imports as a draft, and as published when it is complete."""
    opens_at = draw(INSTANTS)
    closes_at = opens_at + draw(LATER)
    channels = draw(st.lists(st.sampled_from(CHANNELS), unique=True))
    data: dict[str, Any] = {
        "slug": draw(SLUGS),
        "title": draw(typed(200)),
        "summary": draw(typed(1000)),
        "opens_at": opens_at.astimezone(draw(ZONES)),
        "closes_at": closes_at.astimezone(draw(ZONES)),
        "officer": {"name": draw(typed(200))},
        "channels": channels,
    }
    optional: dict[str, st.SearchStrategy[Any]] = {
        "body": typed(5000, blank=True),
        "grace_minutes": st.integers(0, 24 * 60),
        "survey": surveys(),
        "contact": st.fixed_dictionaries(
            {},
            optional={"messages_after_close": st.booleans(), "bookings_after_close": st.booleans()},
        ),
        "alert_mode": st.sampled_from(["instant", "daily"]),
    }
    for key, values in optional.items():
        if draw(st.booleans()):
            data[key] = draw(values)
    if "evidence" in channels or draw(st.booleans()):
        data["evidence"] = draw(evidence_sections())
    if draw(st.booleans()):
        data["officer"]["email"] = draw(EMAILS)
    if draw(st.booleans()):
        data["officer"]["phone"] = draw(typed(40, blank=True))
    return data


def save_generated(app, data: dict[str, Any]) -> Consultation:
    """Save a generated file's consultation: published if it has all that publishing needs."""
    zone = app.config["SITE_ZONE"]
    spec = parse_consultation(data, "generated", zone, draft=True)
    published = not missing(spec.outline())
    if published:
        spec = parse_consultation(data, "generated", zone)
    item, created = save_consultation(spec, published=published)
    assert created
    return item


@ROUND_TRIPS
@given(data=consultation_files())
@example(
    data={
        "slug": "awkward",
        "title": "- yes: #3",
        "summary": "  3  ",
        "body": "  indented first line\nsecond line  \n\n\ttab\r\nwindows\u2028separator\n",
        "opens_at": datetime(2027, 3, 28, 0, 30, tzinfo=UTC),  # just before the clocks go forward
        "closes_at": datetime(2027, 10, 31, 1, 30, tzinfo=UTC),  # the second 1:30am
        "officer": {"name": "🏘️ Gwasanaethau’n lleol", "email": "josé@example.org", "phone": "007"},
        "channels": ["survey", "contact"],
        "survey": {
            "pages": [
                {
                    "title": "yes",
                    "questions": [
                        {
                            "key": "q",
                            "type": "single",
                            "prompt": "?",
                            "options": ["No", "3", "- x"],
                        },
                        {"key": "r", "type": "yesno", "prompt": "null", "show_if": {"q": ["3"]}},
                        {"key": "s", "type": "text", "prompt": "~", "show_if": {"r": ["no"]}},
                    ],
                }
            ]
        },
    }
)
def test_any_consultation_exported_imports_into_an_empty_database_as_the_same(
    app, runner, tmp_path, data
):
    empty_database()
    item = save_generated(app, data)
    assert_round_trip(runner, tmp_path, item.slug)


# --- random edits ---------------------------------------------------------------------------


def channel_choices(current: dict[str, Any], published: bool, has_questions: bool) -> list[str]:
    """The ways of taking part the consultation may offer as it stands."""
    evidence = current.get("evidence")
    allowed = ["contact"]
    if has_questions or not published:
        allowed.append("survey")
    if evidence is not None and (evidence["topics"] or not published):
        allowed.append("evidence")
    return allowed


def edits(
    current: dict[str, Any], published: bool, has_questions: bool
) -> st.SearchStrategy[tuple[str, Any]]:
    """One valid change to one setting of the consultation as its file says it is now.

    A published consultation must stay complete; a draft may lose what publishing needs.
    """
    opens_at, closes_at = current["opens_at"], current["closes_at"]
    channels = current["channels"]
    offers_evidence = "evidence" in channels
    choices: dict[str, st.SearchStrategy[Any]] = {
        "title": typed(200),
        "summary": typed(1000),
        "body": typed(5000, blank=True),
        "opens_at": LATER.map(lambda before: closes_at - before),
        "closes_at": LATER.map(lambda after: opens_at + after),
        "grace_minutes": st.integers(0, 24 * 60),
        "officer.name": typed(200),
        "officer.email": EMAILS.filter(bool) if published else EMAILS,
        "officer.phone": typed(40, blank=True),
        "channels": st.lists(
            st.sampled_from(channel_choices(current, published, has_questions)),
            min_size=1 if published else 0,
            unique=True,
        ),
        "evidence": (
            evidence_sections(needs_topics=published)
            if offers_evidence
            else st.one_of(st.none(), evidence_sections())
        ),
        "contact.messages_after_close": st.booleans(),
        "contact.bookings_after_close": st.booleans(),
        "alert_mode": st.sampled_from(["instant", "daily"]),
    }
    if current.get("evidence") is not None:
        choices["evidence.topics"] = st.lists(
            typed(200), min_size=1 if published and offers_evidence else 0, max_size=4
        )
        choices["evidence.max_length"] = st.integers(1, 100_000)
        # Documents in no format at all are refused unless none are taken (max_files 0).
        choices["evidence.attachments.types"] = st.lists(
            st.sampled_from(ATTACHMENT_TYPES), unique=True, min_size=1
        )
    return st.sampled_from(sorted(choices)).flatmap(
        lambda key: choices[key].map(lambda value: (key, value))
    )


@ROUND_TRIPS
@given(data=consultation_files(), draw=st.data())
def test_any_sequence_of_valid_edits_keeps_the_round_trip(app, runner, tmp_path, data, draw):
    empty_database()
    item = save_generated(app, data)
    zone = app.config["SITE_ZONE"]
    for _ in range(draw.draw(st.integers(1, 8), label="number of edits")):
        current = file_data(item)
        key, value = draw.draw(edits(current, not item.is_draft, bool(item.questions)))
        spec = parse_consultation(with_value(current, key, value), "edit", zone, item.is_draft)
        apply_settings(item, spec, created=False)
        db.session.commit()
        if isinstance(value, str):
            assert value_at(file_data(item), key) == value.strip()
    assert_round_trip(runner, tmp_path, item.slug)


def test_a_consultation_offering_evidence_with_no_settings_saved_exports_a_file_that_imports(
    runner, tmp_path, make_consultation
):
    """The settings are written as they are in force (the defaults), so the file imports."""
    made = make_consultation(channels=["evidence"], evidence_settings={})
    slug, data = made.slug, file_data(made)
    assert data["evidence"]["max_length"] == 20_000
    data["evidence"]["topics"] = ["Funding"]  # a published file must name a theme
    empty_database()
    result = import_text(runner, tmp_path, yaml.safe_dump(data), draft=False)
    assert result.exit_code == 0, result.output
    assert found(slug).evidence_settings["topics"] == ["Funding"]
