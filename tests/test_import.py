"""Consultation files: `flask consultations import FILE` and `flask seed-demo`.

Every test drives the real command through the CLI runner against a migrated SQLite file,
and checks what an admin would see: the command's messages and the rows it leaves behind.
"""

from __future__ import annotations

import textwrap
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from app.admin.authoring.publishing import missing as still_missing
from app.admin.consultation_settings import set_override
from app.consultations.lifecycle import Override, State
from app.extensions import db
from app.models import AuditEvent, Consultation, Question, utcnow

SLUG = "town-centre-services-2027"

# Modelled on the example in DESIGN.md: two survey pages with routing, written evidence
# relying on the default respondent types and attachment rules, and a contact channel.
VALID = """\
slug: town-centre-services-2027
title: Town centre services, who runs them
summary: How are services in town centres paid for and run? We would like to hear from you.
body: |
  ## Background

  Tell us how services in your town centre are run, and by whom.
opens_at: 2027-01-04T09:00:00+00:00
closes_at: 2027-03-05T17:00:00+00:00
officer: {name: Jo Bloggs, email: jo.bloggs@example.org, phone: "+44 161 496 0999"}
channels: [survey, evidence, contact]
survey:
  pages:
    - title: Who you are
      questions:
        - key: sector
          type: single
          prompt: Where do you work?
          required: true
          options: [Voluntary sector, Local council, Private company, Other]
        - key: runs_contracts
          type: yesno
          prompt: Does your organisation hold public service contracts now?
          show_if: {sector: [Voluntary sector, Private company]}
    - title: Your experience
      questions:
        - key: obstacles
          type: multi
          prompt: What gets in the way?
          allow_other: true
          options: [Contract size, Paperwork, Cash flow]
          show_if: {runs_contracts: [yes]}
        - key: story
          type: longtext
          prompt: Tell us about one contract.
          hint: Leave out the names of people.
          max_length: 3000
evidence:
  topics: [Changes in public services, Contracts that did not deliver]
"""

DEFAULT_ATTACHMENTS = {"max_files": 3, "max_mb": 10, "types": ["pdf", "docx", "odt", "txt"]}
DEFAULT_RESPONDENT_TYPES = [
    "Community organisation",
    "Elected councillor",
    "Council officer",
    "Think tank",
    "Academic",
    "Other",
]


# --- helpers --------------------------------------------------------------------------------


def write(directory: Path, text: str, name: str = "consultation.yaml") -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def write_data(directory: Path, data: Any, name: str = "consultation.yaml") -> Path:
    path = directory / name
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


DELETE = object()


def edited(changes: dict[str, Any]) -> dict[str, Any]:
    """The valid file's data with changes at dotted key paths ('survey.pages.0.title')."""
    data = yaml.safe_load(VALID)
    for path, value in changes.items():
        *parents, last = [int(part) if part.isdigit() else part for part in path.split(".")]
        target = data
        for part in parents:
            target = target[part]
        if value is DELETE:
            del target[last]
        elif isinstance(target, list) and last == len(target):
            target.append(value)
        else:
            target[last] = value
    return data


def import_file(runner, path: Path):
    return runner.invoke(args=["consultations", "import", str(path)])


def row_counts() -> dict[str, int]:
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in (Consultation, Question, AuditEvent)
    }


def consultation(slug: str = SLUG) -> Consultation:
    db.session.expire_all()
    found = db.session.scalar(select(Consultation).filter_by(slug=slug))
    assert found is not None, f"no consultation {slug}"
    return found


def problem_lines(result) -> list[str]:
    """The indented problem lines the command prints under its heading."""
    return [line.strip() for line in result.stderr.splitlines() if line.startswith("  ")]


Message = str | tuple[str, ...]


def reported(result, path: Path, key_path: str, message: Message) -> bool:
    """Whether a problem line names the file, then the key path, then the message.

    A tuple of fragments must all be in the one line, for wording that is not ours.
    """
    fragments = (message,) if isinstance(message, str) else message
    return any(
        line.startswith(f"{path}: {key_path}: ") and all(part in line for part in fragments)
        for line in problem_lines(result)
    )


def assert_refused(
    result, path: Path, expected: list[tuple[str, Message]], exact: bool = True
) -> None:
    """Exit code 1, a heading naming the file, and every problem with its key path.

    With `exact`, the heading's count and the lines listed are exactly the expected ones.
    """
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert f"{path} was not imported: " in result.stderr
    for key_path, message in expected:
        assert reported(result, path, key_path, message), (
            f"{key_path}: {message!r} not reported in:\n{result.stderr}"
        )
    if exact:
        assert f"{path} was not imported: {len(expected)} problem(s)." in result.stderr
        assert len(problem_lines(result)) == len(expected), result.stderr
    assert "Created" not in result.output and "Updated" not in result.output


# --- a valid file ---------------------------------------------------------------------------


def test_valid_file_creates_the_consultation_with_its_survey(runner, tmp_path):
    before = row_counts()
    result = import_file(runner, write(tmp_path, VALID))

    assert result.exit_code == 0, result.output
    assert result.output.strip() == (
        f"Created consultation '{SLUG}': Town centre services, who runs them"
    )
    assert row_counts() == {
        "Consultation": before["Consultation"] + 1,
        "Question": before["Question"] + 4,
        "AuditEvent": before["AuditEvent"] + 1,
    }

    item = consultation()
    assert item.title == "Town centre services, who runs them"
    assert item.summary.startswith("How are services in town centres paid for")
    assert item.body.startswith("## Background\n\nTell us how services")
    assert item.opens_at == datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
    assert item.closes_at == datetime(2027, 3, 5, 17, 0, tzinfo=UTC)
    assert item.channels == ["survey", "evidence", "contact"]
    assert (item.officer_name, item.officer_email, item.officer_phone) == (
        "Jo Bloggs",
        "jo.bloggs@example.org",
        "+44 161 496 0999",
    )
    assert item.grace_minutes == 30
    assert item.override == Override.AUTO.value

    questions = {q.key: q for q in item.questions}
    assert [
        (q.key, q.page, q.page_title, q.position, q.type, q.required) for q in item.questions
    ] == [
        ("sector", 1, "Who you are", 1, "single", True),
        ("runs_contracts", 1, "Who you are", 2, "yesno", False),
        ("obstacles", 2, "Your experience", 1, "multi", False),
        ("story", 2, "Your experience", 2, "longtext", False),
    ]
    assert questions["sector"].prompt == "Where do you work?"
    assert questions["sector"].options == [
        "Voluntary sector",
        "Local council",
        "Private company",
        "Other",
    ]
    assert questions["runs_contracts"].options == []
    assert questions["runs_contracts"].show_if == {
        "sector": ["Voluntary sector", "Private company"]
    }
    assert questions["obstacles"].options == ["Contract size", "Paperwork", "Cash flow"]
    assert questions["obstacles"].settings.get("allow_other") is True
    assert questions["obstacles"].show_if == {"runs_contracts": ["yes"]}
    assert questions["story"].hint == "Leave out the names of people."
    assert questions["story"].settings.get("max_length") == 3000
    assert questions["story"].show_if == {}

    evidence = item.evidence_settings
    assert evidence["topics"] == ["Changes in public services", "Contracts that did not deliver"]
    assert evidence["respondent_types"] == DEFAULT_RESPONDENT_TYPES
    assert evidence["attachments"] == DEFAULT_ATTACHMENTS

    events = db.session.scalars(select(AuditEvent).filter_by(consultation_id=item.id)).all()
    assert [(e.actor, e.action, e.detail) for e in events] == [
        ("command line", "import", "Created from file")
    ]


def test_file_without_survey_or_evidence_has_no_questions(runner, tmp_path):
    path = write(
        tmp_path,
        """\
        slug: talk-to-us
        title: Talk to us
        summary: Book a call with the policy officer.
        opens_at: 2027-01-04T09:00:00+00:00
        closes_at: 2027-03-05T17:00:00+00:00
        officer: {name: Jo Bloggs, email: jo.bloggs@example.org}
        channels: [contact]
        """,
    )
    result = import_file(runner, path)
    assert result.exit_code == 0, result.output
    item = consultation("talk-to-us")
    assert item.channels == ["contact"]
    assert item.questions == []
    assert item.evidence_settings == {}
    assert item.body == ""
    assert item.officer_phone == ""


def test_naive_times_are_read_in_london(runner, tmp_path):
    text = VALID.replace(
        "opens_at: 2027-01-04T09:00:00+00:00", "opens_at: 2027-01-04 09:00:00"
    ).replace("closes_at: 2027-03-05T17:00:00+00:00", "closes_at: 2027-07-02T17:00:00")
    result = import_file(runner, write(tmp_path, text))
    assert result.exit_code == 0, result.output
    item = consultation()
    assert item.opens_at == datetime(2027, 1, 4, 9, 0, tzinfo=UTC)  # GMT
    assert item.closes_at == datetime(2027, 7, 2, 16, 0, tzinfo=UTC)  # 5pm BST


def test_explicit_offsets_are_kept(runner, tmp_path):
    text = VALID.replace(
        "closes_at: 2027-03-05T17:00:00+00:00", "closes_at: 2027-07-02T17:00:00+02:00"
    )
    assert import_file(runner, write(tmp_path, text)).exit_code == 0
    assert consultation().closes_at == datetime(2027, 7, 2, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize("both", [True, False], ids=["both times", "deadline only"])
def test_time_without_seconds_is_read_in_london(runner, tmp_path, both):
    text = VALID.replace("closes_at: 2027-03-05T17:00:00+00:00", "closes_at: 2027-07-02T17:00")
    if both:
        text = text.replace("opens_at: 2027-01-04T09:00:00+00:00", "opens_at: 2027-01-04T09:00")
    result = import_file(runner, write(tmp_path, text))
    assert result.exit_code == 0, result.output
    item = consultation()
    assert item.closes_at == datetime(2027, 7, 2, 16, 0, tzinfo=UTC)
    if both:
        assert item.opens_at == datetime(2027, 1, 4, 9, 0, tzinfo=UTC)


def test_yaml_yes_and_no_in_show_if_are_the_stored_answers(runner, tmp_path):
    """Unquoted yes/no are booleans to YAML; show_if must still match the answers 'yes'/'no'."""
    data = edited(
        {
            "survey.pages.1.questions.1.show_if": {"runs_contracts": [False]},
            "survey.pages.1.questions.2": {
                "key": "quoted",
                "type": "text",
                "prompt": "Anything else?",
                "show_if": {"runs_contracts": ["yes", "no"]},
            },
        }
    )
    path = write_data(tmp_path, data)
    # The dump writes YAML booleans as true/false; the hand-written file below uses yes/no.
    assert "- true" in path.read_text() and "- false" in path.read_text()
    assert import_file(runner, path).exit_code == 0
    questions = {q.key: q for q in consultation().questions}
    assert questions["obstacles"].show_if == {"runs_contracts": ["yes"]}
    assert questions["story"].show_if == {"runs_contracts": ["no"]}
    assert questions["quoted"].show_if == {"runs_contracts": ["yes", "no"]}


def test_yaml_yes_written_by_hand_is_accepted(runner, tmp_path):
    assert "show_if: {runs_contracts: [yes]}" in VALID
    result = import_file(runner, write(tmp_path, VALID))
    assert result.exit_code == 0, result.output
    obstacles = next(q for q in consultation().questions if q.key == "obstacles")
    assert obstacles.show_if == {"runs_contracts": ["yes"]}


def test_evidence_settings_given_in_the_file_are_kept(runner, tmp_path):
    data = edited(
        {
            "evidence.respondent_types": ["Charity", "Councillor"],
            "evidence.attachments": {"max_files": 1, "max_mb": 5, "types": ["pdf"]},
        }
    )
    assert import_file(runner, write_data(tmp_path, data)).exit_code == 0
    evidence = consultation().evidence_settings
    assert evidence["respondent_types"] == ["Charity", "Councillor"]
    assert evidence["attachments"] == {"max_files": 1, "max_mb": 5, "types": ["pdf"]}


def test_evidence_attachment_defaults_fill_in_what_is_left_out(runner, tmp_path):
    data = edited({"evidence.attachments": {"max_files": 5}})
    assert import_file(runner, write_data(tmp_path, data)).exit_code == 0
    assert consultation().evidence_settings["attachments"] == {
        **DEFAULT_ATTACHMENTS,
        "max_files": 5,
    }


# --- importing again ------------------------------------------------------------------------


def test_importing_the_same_slug_again_updates_it_and_keeps_the_override(runner, tmp_path):
    assert import_file(runner, write(tmp_path, VALID)).exit_code == 0
    item = consultation()
    original_id = item.id
    assert set_override(item, Override.CLOSED, "admin@example.org", utcnow())

    changed = edited(
        {
            "title": "Town centre services: who should run them?",
            "closes_at": datetime(2027, 4, 30, 17, 0, tzinfo=UTC),
            "survey.pages": [
                {
                    "title": "About you",
                    "questions": [
                        {
                            "key": "sector",
                            "type": "single",
                            "prompt": "Which sector are you in?",
                            "options": ["Charity", "Council", "Business"],
                        },
                        {"key": "postcode_area", "type": "text", "prompt": "Postcode area"},
                    ],
                }
            ],
        }
    )
    before = row_counts()
    result = import_file(runner, write_data(tmp_path, changed, name="v2.yaml"))

    assert result.exit_code == 0, result.output
    assert result.output.strip() == (
        f"Updated consultation '{SLUG}': Town centre services: who should run them?"
    )
    item = consultation()
    assert item.id == original_id
    assert item.title == "Town centre services: who should run them?"
    assert item.closes_at == datetime(2027, 4, 30, 17, 0, tzinfo=UTC)
    assert [(q.key, q.page, q.position, q.prompt, q.options) for q in item.questions] == [
        ("sector", 1, 1, "Which sector are you in?", ["Charity", "Council", "Business"]),
        ("postcode_area", 1, 2, "Postcode area", []),
    ]
    assert item.override == Override.CLOSED.value
    assert item.state(datetime(2027, 2, 1, tzinfo=UTC)) is State.CLOSED
    assert row_counts() == {
        "Consultation": before["Consultation"],
        "Question": before["Question"] - 4 + 2,
        "AuditEvent": before["AuditEvent"] + 1,
    }
    latest = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (latest.action, latest.detail, latest.consultation_id) == (
        "import",
        "Updated from file",
        original_id,
    )


def test_bad_version_of_an_imported_file_leaves_the_consultation_as_it_was(runner, tmp_path):
    assert import_file(runner, write(tmp_path, VALID)).exit_code == 0
    before = row_counts()
    bad = edited({"title": "A new title", "survey.pages.1.questions.1.options": ["Good", "Bad"]})
    path = write_data(tmp_path, bad, name="bad.yaml")

    result = import_file(runner, path)

    assert_refused(
        result,
        path,
        [("survey.pages.1.questions.1.options", "a longtext question takes no options")],
    )
    assert row_counts() == before
    item = consultation()
    assert item.title == "Town centre services, who runs them"
    assert [q.key for q in item.questions] == ["sector", "runs_contracts", "obstacles", "story"]


# --- bad files ------------------------------------------------------------------------------

FREE_TEXT_FOLLOW_UP = {
    "key": "follow_up",
    "type": "text",
    "prompt": "Which contract?",
    "show_if": {"story": ["anything"]},
}

BAD_FILES = [
    pytest.param(
        {"title": DELETE, "officer.name": DELETE},
        [
            ("title", "required (text of at most 200 characters); not given"),
            ("officer.name", "required (text of at most 200 characters); not given"),
        ],
        id="missing required keys",
    ),
    pytest.param(
        {"channels": DELETE},
        [("channels", "required: choose at least one way of taking part; given nothing")],
        id="missing channels",
    ),
    pytest.param(
        {"summary": DELETE, "sumary": "A typo."},
        [
            ("summary", "required (text); not given"),
            ("sumary", "unknown key; did you mean 'summary'?"),
        ],
        id="misspelt top-level key",
    ),
    pytest.param(
        {"survey.pages.0.questions.0.promt": "Where?"},
        [("survey.pages.0.questions.0.promt", "unknown key; did you mean 'prompt'?")],
        id="unknown key in a question",
    ),
    pytest.param(
        {"colour": "blue"},
        [("colour", "unknown key; the keys here are slug, title, summary, body, opens_at")],
        id="unknown key like none of the format's",
    ),
    pytest.param(
        {"slug": "Town Centre 2027"},
        [
            (
                "slug",
                "use lower-case letters, digits and single hyphens, like local-services-2027;"
                " given 'Town Centre 2027'",
            )
        ],
        id="bad slug",
    ),
    pytest.param(
        {"slug": "town--centre-"},
        [("slug", "use lower-case letters, digits and single hyphens")],
        id="slug with doubled and trailing hyphens",
    ),
    pytest.param(
        {"officer.email": "jo.bloggs.example.org"},
        [("officer.email", ("not a valid email address (", "; given 'jo.bloggs.example.org'"))],
        id="bad officer email",
    ),
    pytest.param(
        {"closes_at": date(2027, 3, 5)},
        [("closes_at", "give a time as well as a date, like 2027-03-05T17:00; given 2027-03-05")],
        id="deadline without time",
    ),
    pytest.param(
        {"opens_at": date(2027, 1, 4)},
        [("opens_at", "give a time as well as a date, like 2027-01-04T17:00; given 2027-01-04")],
        id="opening without time",
    ),
    pytest.param(
        {"opens_at": date(2027, 1, 4), "closes_at": date(2027, 3, 5)},
        [
            ("opens_at", "give a time as well as a date"),
            ("closes_at", "give a time as well as a date"),
        ],
        id="both dates without time",
    ),
    pytest.param(
        {"closes_at": "2027-03-05"},
        [("closes_at", "give a time as well as a date, like 2027-03-05T17:00; given 2027-03-05")],
        id="deadline without time, in quotes",
    ),
    pytest.param(
        {"closes_at": datetime(2026, 12, 1, 17, 0, tzinfo=UTC)},
        [
            (
                "closes_at",
                "must be after opens_at (2027-01-04T09:00:00+00:00);"
                " given 2026-12-01T17:00:00+00:00",
            )
        ],
        id="closes before it opens",
    ),
    pytest.param(
        {"closes_at": datetime(2027, 1, 4, 9, 0, tzinfo=UTC)},
        [("closes_at", "must be after opens_at")],
        id="closes as it opens",
    ),
    pytest.param(
        {"channels": ["survey", "evidence", "phone"]},
        [("channels.2", "'phone' is not one of survey, evidence, contact")],
        id="unknown channel",
    ),
    pytest.param(
        {"channels": ["survey", "evidence", "survey"]},
        [("channels", "must not repeat; given survey twice")],
        id="repeated channel",
    ),
    pytest.param(
        {"survey": DELETE},
        [("survey", "required because channels includes survey; not given")],
        id="survey channel without survey",
    ),
    pytest.param(
        {"evidence": DELETE},
        [("evidence", "required because channels includes evidence; not given")],
        id="evidence channel without evidence",
    ),
    pytest.param(
        {"survey.pages.1.questions.0.options": ["Paperwork"]},
        [
            (
                "survey.pages.1.questions.0.options",
                "a multi question needs at least 2 options; given only 'Paperwork'",
            )
        ],
        id="choice question with one option",
    ),
    pytest.param(
        {"survey.pages.1.questions.0.options": DELETE},
        [
            (
                "survey.pages.1.questions.0.options",
                "a multi question needs at least 2 options; given none",
            )
        ],
        id="choice question with no options",
    ),
    pytest.param(
        {"survey.pages.1.questions.0.options": ["Paperwork", "Cash flow", "Paperwork"]},
        [
            (
                "survey.pages.1.questions.0.options",
                "must not repeat; given 'Paperwork' more than once",
            )
        ],
        id="repeated option",
    ),
    pytest.param(
        {"survey.pages.1.questions.1.options": ["Good", "Bad"]},
        [
            (
                "survey.pages.1.questions.1.options",
                "a longtext question takes no options; given Good, Bad",
            )
        ],
        id="options on a text question",
    ),
    pytest.param(
        {"survey.pages.1.questions.1.key": "sector"},
        [("survey.pages.1.questions.1.key", "'sector' is used by an earlier question")],
        id="duplicate question key",
    ),
    pytest.param(
        {"survey.pages.0.questions.1.show_if": {"obstacles": ["Paperwork"]}},
        [
            (
                "survey.pages.0.questions.1.show_if.obstacles",
                "no earlier question has the key 'obstacles'; route on one of sector",
            )
        ],
        id="show_if names a later question",
    ),
    pytest.param(
        {"survey.pages.0.questions.0.show_if": {"sector": ["Other"]}},
        [
            (
                "survey.pages.0.questions.0.show_if.sector",
                "no earlier question has the key 'sector'; no earlier question can route",
            )
        ],
        id="show_if on the first question",
    ),
    pytest.param(
        {"survey.pages.0.questions.1.show_if": {"sectr": ["Other"]}},
        [
            (
                "survey.pages.0.questions.1.show_if.sectr",
                "no earlier question has the key 'sectr'; route on one of sector",
            )
        ],
        id="show_if names an unknown question",
    ),
    pytest.param(
        {"survey.pages.0.questions.1.show_if": {"sector": ["Charity"]}},
        [
            (
                "survey.pages.0.questions.1.show_if.sector",
                "'Charity' is not an answer to 'sector'"
                " (choose from Voluntary sector, Local council, Private company, Other)",
            )
        ],
        id="show_if names an answer the question does not have",
    ),
    pytest.param(
        {"survey.pages.1.questions.0.show_if": {"runs_contracts": ["maybe"]}},
        [
            (
                "survey.pages.1.questions.0.show_if.runs_contracts",
                "'maybe' is not an answer to 'runs_contracts' (choose from yes, no)",
            )
        ],
        id="show_if names an answer a yes/no question does not have",
    ),
    pytest.param(
        {"survey.pages.1.questions.2": FREE_TEXT_FOLLOW_UP},
        [
            (
                "survey.pages.1.questions.2.show_if.story",
                "'story' is a longtext question, whose answers are free text;"
                " route on one of sector, runs_contracts, obstacles",
            )
        ],
        id="show_if on a free-text question",
    ),
    pytest.param(
        {"evidence.attachments": {"types": ["pdf", "exe"]}},
        [("evidence.attachments.types.1", "'exe' is not one of pdf, docx, odt, txt")],
        id="attachment type not allowed",
    ),
]


@pytest.mark.parametrize("changes, expected", BAD_FILES)
def test_bad_file_is_refused_with_file_and_key_path(runner, tmp_path, changes, expected):
    path = write_data(tmp_path, edited(changes))
    before = row_counts()

    result = import_file(runner, path)

    assert_refused(result, path, expected, exact=False)
    assert row_counts() == before


@pytest.mark.parametrize(
    "changes, expected",
    [pytest.param(*case.values, id=case.id, marks=case.marks) for case in BAD_FILES],
)
def test_each_problem_is_listed_once_and_counted(runner, tmp_path, changes, expected):
    path = write_data(tmp_path, edited(changes))
    assert_refused(import_file(runner, path), path, expected, exact=True)


def test_invalid_yaml_is_reported_with_line_and_column(runner, tmp_path):
    path = write(
        tmp_path,
        """\
        slug: broken-file
        title: Broken
          summary: indented by mistake
        """,
        name="broken.yaml",
    )
    before = row_counts()
    result = import_file(runner, path)
    assert result.exit_code == 1
    assert f"{path} was not imported: 1 problem(s)." in result.stderr
    [line] = problem_lines(result)
    assert line.startswith(f"{path}: line 3, column 10: not valid YAML (")
    assert row_counts() == before


@pytest.mark.parametrize(
    "text, given",
    [
        ("- slug: a-list\n- title: Not a mapping\n", "a list"),
        ("just some words\n", "'just some words'"),
        ("", "nothing"),
    ],
    ids=["a list", "a string", "an empty file"],
)
def test_top_level_must_be_a_mapping(runner, tmp_path, text, given):
    path = write(tmp_path, text)
    before = row_counts()
    result = import_file(runner, path)
    assert_refused(result, path, [("(top level)", f"expected a mapping of keys; given {given}")])
    assert row_counts() == before


def test_missing_file_is_refused_by_the_command(runner, tmp_path):
    result = import_file(runner, tmp_path / "nowhere.yaml")
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_several_problems_are_all_listed_in_one_run(runner, tmp_path):
    data = edited(
        {
            "slug": "Town Centre",
            "titel": "A typo",
            "opens_at": date(2027, 1, 4),
            "officer.email": "not-an-email",
            "channels": ["survey", "phone", "evidence"],
            "evidence.attachments": {"types": ["pdf", "exe"]},
            "survey.pages.0.questions.1.show_if": {"sectr": ["Other"]},
            "survey.pages.1.questions.0.show_if": {"runs_contracts": ["maybe"]},
        }
    )
    path = write_data(tmp_path, data)
    before = row_counts()

    result = import_file(runner, path)

    assert_refused(
        result,
        path,
        [
            ("slug", "use lower-case letters"),
            ("titel", "unknown key"),
            ("opens_at", "give a time as well as a date"),
            ("officer.email", "not a valid email address"),
            ("channels.1", "'phone' is not one of survey, evidence, contact"),
            ("evidence.attachments.types.1", "'exe' is not one of pdf, docx, odt, txt"),
            ("survey.pages.0.questions.1.show_if.sectr", "no earlier question has the key 'sectr'"),
            ("survey.pages.1.questions.0.show_if.runs_contracts", "'maybe' is not an answer"),
        ],
    )
    assert len(problem_lines(result)) == 8
    assert row_counts() == before


def test_whole_file_checks_each_get_their_own_line(runner, tmp_path):
    data = edited(
        {
            "closes_at": datetime(2026, 12, 1, 17, 0, tzinfo=UTC),
            "channels": ["survey", "evidence", "survey"],
        }
    )
    path = write_data(tmp_path, data)
    result = import_file(runner, path)
    assert f"{path} was not imported: 2 problem(s)." in result.stderr
    assert problem_lines(result) == [
        f"{path}: closes_at: must be after opens_at (2027-01-04T09:00:00+00:00);"
        " given 2026-12-01T17:00:00+00:00",
        f"{path}: channels: must not repeat; given survey twice",
    ]


def test_field_error_does_not_hide_whole_file_checks(runner, tmp_path):
    data = edited({"slug": "Town Centre", "closes_at": datetime(2026, 12, 1, 17, 0, tzinfo=UTC)})
    path = write_data(tmp_path, data)
    before = row_counts()
    result = import_file(runner, path)
    assert_refused(
        result,
        path,
        [("slug", "use lower-case letters"), ("closes_at", "must be after opens_at")],
    )
    assert row_counts() == before


def test_question_error_does_not_hide_routing_errors(runner, tmp_path):
    data = edited(
        {
            "survey.pages.1.questions.1.options": ["Good", "Bad"],
            "survey.pages.0.questions.1.show_if": {"sectr": ["Other"]},
        }
    )
    path = write_data(tmp_path, data)
    before = row_counts()
    result = import_file(runner, path)
    assert_refused(
        result,
        path,
        [
            ("survey.pages.1.questions.1.options", "a longtext question takes no options"),
            ("survey.pages.0.questions.1.show_if.sectr", "no earlier question has the key 'sectr'"),
        ],
    )
    assert row_counts() == before


# --- every message names what was given -----------------------------------------------------

NUMBER_QUESTION = {"key": "budget", "type": "number", "prompt": "What is your budget?"}
TYPES = "single, multi, text, longtext, yesno, scale, email, number"
A_TIME = "must be a date and time, like 2027-03-01T17:00:00+00:00"

WRONG_VALUES = [
    pytest.param(
        {"title": "x" * 254},
        "title",
        "must be at most 200 characters; given 254 characters",
        id="text too long",
    ),
    pytest.param(
        {"officer.phone": "0" * 41},
        "officer.phone",
        "must be at most 40 characters; given 41 characters",
        id="telephone too long",
    ),
    pytest.param(
        {"survey.pages.0.title": "P" * 201},
        "survey.pages.0.title",
        "must be at most 200 characters; given 201 characters",
        id="page title too long",
    ),
    pytest.param(
        {"summary": "   "},
        "summary",
        "must not be empty; given only blank space",
        id="blank text",
    ),
    pytest.param(
        {"survey.pages.1.questions.1.key": DELETE},
        "survey.pages.1.questions.1.key",
        "required (text of at most 80 characters); not given",
        id="missing key of a question",
    ),
    pytest.param(
        {"title": 2027},
        "title",
        "must be text of at most 200 characters; given 2027 (put text in quotes)",
        id="a number for text",
    ),
    pytest.param(
        {"summary": True},
        "summary",
        "must be text; given true (put text in quotes)",
        id="yes for text",
    ),
    pytest.param(
        {"survey.pages.0.questions.0.required": "maybe"},
        "survey.pages.0.questions.0.required",
        "must be true or false; given 'maybe'",
        id="not true or false",
    ),
    pytest.param(
        {"grace_minutes": "soon"},
        "grace_minutes",
        "must be a whole number from 0 to 1440; given 'soon'",
        id="not a number",
    ),
    pytest.param(
        {"grace_minutes": 2.5},
        "grace_minutes",
        "must be a whole number from 0 to 1440; given 2.5",
        id="not a whole number",
    ),
    pytest.param(
        {"grace_minutes": -5},
        "grace_minutes",
        "must be at least 0; given -5",
        id="below the least",
    ),
    pytest.param(
        {"evidence.attachments": {"max_files": 11}},
        "evidence.attachments.max_files",
        "must be at most 10; given 11",
        id="above the most",
    ),
    pytest.param(
        {"evidence.attachments": {"max_mb": 0}},
        "evidence.attachments.max_mb",
        "must be more than 0; given 0",
        id="not above the bound",
    ),
    pytest.param(
        {"evidence.respondent_types": []},
        "evidence.respondent_types",
        "must list at least 1 item; given none",
        id="empty list",
    ),
    pytest.param(
        {"channels": "survey"},
        "channels",
        "must be a list; given 'survey'",
        id="not a list",
    ),
    pytest.param(
        {"officer": "Jo Bloggs"},
        "officer",
        "must be a mapping with the keys name, email, phone; given 'Jo Bloggs'",
        id="not a mapping",
    ),
    pytest.param(
        {"alert_mode": "weekly"},
        "alert_mode",
        "'weekly' is not one of instant, daily",
        id="not one of the choices",
    ),
    pytest.param(
        {"survey.pages.0.questions.0.type": "dropdown"},
        "survey.pages.0.questions.0.type",
        f"'dropdown' is not one of {TYPES}",
        id="unknown question type",
    ),
    pytest.param(
        {"survey.pages.1.questions.1.key": "Story"},
        "survey.pages.1.questions.1.key",
        "use lower-case letters, digits and underscores, starting with a letter; given 'Story'",
        id="bad question key",
    ),
    pytest.param(
        {"closes_at": "next Tuesday"},
        "closes_at",
        f"{A_TIME}; given 'next Tuesday'",
        id="not a time",
    ),
    pytest.param(
        {"closes_at": 1_800_000_000},
        "closes_at",
        f"{A_TIME}; given 1800000000",
        id="a number for a time",
    ),
    pytest.param(
        {"survey.pages.0.questions.0.allow_other": True},
        "survey.pages.0.questions.0.allow_other",
        "only for multi questions, and this is a single question; given true",
        id="allow_other on a single question",
    ),
    pytest.param(
        {"survey.pages.0.questions.1.max_length": 50},
        "survey.pages.0.questions.1.max_length",
        "only for text and longtext questions, and this is a yesno question; given 50",
        id="max_length on a yes/no question",
    ),
    pytest.param(
        {"survey.pages.1.questions.1.min": 1},
        "survey.pages.1.questions.1.min",
        "only for number questions, and this is a longtext question; given 1.0",
        id="min on a text question",
    ),
    pytest.param(
        {"survey.pages.1.questions.1.max": 0},
        "survey.pages.1.questions.1.max",
        "only for number questions, and this is a longtext question; given 0.0",
        id="max of 0 on a text question",
    ),
    pytest.param(
        {"survey.pages.0.questions.0.scale": {"min": "Low"}},
        "survey.pages.0.questions.0.scale",
        "only for scale questions, and this is a single question; given a mapping of keys",
        id="scale labels on a choice question",
    ),
    pytest.param(
        {"survey.pages.1.questions.2": {**NUMBER_QUESTION, "min": 10, "max": 5}},
        "survey.pages.1.questions.2.max",
        "must be more than min (10); given 5",
        id="max below min",
    ),
    pytest.param(
        {"survey.pages.1.questions.2": {**NUMBER_QUESTION, "min": float("-inf")}},
        "survey.pages.1.questions.2.min",
        "must be a number, not infinity; given -inf",
        id="an infinite number",
    ),
    pytest.param(
        {"title": "Town\x00centre"},
        "title",
        "must not hold a control character (U+0000); given 'Town\\x00centre'",
        id="a control character",
    ),
]


@pytest.mark.parametrize("changes, key_path, message", WRONG_VALUES)
def test_each_kind_of_wrong_value_is_named_with_what_was_given(
    runner, tmp_path, changes, key_path, message
):
    path = write_data(tmp_path, edited(changes))
    before = row_counts()
    assert_refused(import_file(runner, path), path, [(key_path, message)])
    assert row_counts() == before


@pytest.mark.parametrize(
    "written, key_path, given",
    [
        ("closes_at: 2027-02-30T17:00:00+00:00", "closes_at", "'2027-02-30T17:00:00+00:00'"),
        ("closes_at: 2027-02-30", "closes_at", "'2027-02-30'"),
        ("closes_at: 2027-03-05T25:00:00", "closes_at", "'2027-03-05T25:00:00'"),
    ],
    ids=["30 February", "30 February without a time", "the 25th hour"],
)
def test_an_impossible_date_is_named_with_its_key(runner, tmp_path, written, key_path, given):
    """YAML itself cannot make a date of these; the file is still checked as a whole."""
    text = VALID.replace("closes_at: 2027-03-05T17:00:00+00:00", written)
    text = text.replace("slug: town-centre-services-2027", "slug: Town Centre")
    path = write(tmp_path, text)
    assert_refused(
        import_file(runner, path),
        path,
        [(key_path, f"{A_TIME}; given {given}"), ("slug", "given 'Town Centre'")],
    )


def test_a_long_value_is_counted_or_cut_short_never_repeated(runner, tmp_path):
    pasted = "Lorem ipsum dolor sit amet " * 400  # 10,800 characters
    data = edited(
        {
            "title": pasted,
            "slug": pasted,
            "officer.email": pasted,
            "survey.pages.0.questions.0.options": [pasted, pasted],
        }
    )
    path = write_data(tmp_path, data)
    result = import_file(runner, path)
    assert_refused(
        result,
        path,
        [
            ("title", f"must be at most 200 characters; given {len(pasted)} characters"),
            ("slug", f"must be at most 80 characters; given {len(pasted)} characters"),
            ("officer.email", f"must be at most 254 characters; given {len(pasted)} characters"),
            ("survey.pages.0.questions.0.options.0", "must be at most 200 characters"),
            ("survey.pages.0.questions.0.options.1", "must be at most 200 characters"),
            # The routing check lists the options it found, each cut short.
            ("survey.pages.0.questions.1.show_if.sector", "'Voluntary sector' is not an answer"),
            ("survey.pages.0.questions.1.show_if.sector", "'Private company' is not an answer"),
        ],
    )
    for line in problem_lines(result):
        assert len(line.removeprefix(f"{path}: ")) < 250, line


# --- --draft ----------------------------------------------------------------------------------

INCOMPLETE = {
    "officer.email": DELETE,
    "channels": ["survey", "evidence"],
    "survey": DELETE,
    "evidence.topics": [],
}


def test_draft_import_makes_a_new_consultation_a_draft_the_public_cannot_see(
    runner, client, tmp_path
):
    path = write_data(tmp_path, edited({}))
    result = runner.invoke(args=["consultations", "import", "--draft", str(path)])

    assert result.exit_code == 0, result.output
    assert result.output.strip() == (
        f"Created draft consultation '{SLUG}': Town centre services, who runs them"
    )
    item = consultation()
    assert item.published_at is None and item.is_draft
    assert len(item.questions) == 4
    assert client.get(f"/consultations/{SLUG}").status_code == 404
    events = db.session.scalars(select(AuditEvent).filter_by(consultation_id=item.id)).all()
    assert [(e.action, e.detail) for e in events] == [("import", "Created from file as a draft")]


def test_draft_import_takes_a_file_that_lacks_what_publishing_needs(runner, tmp_path):
    path = write_data(tmp_path, edited(INCOMPLETE))

    refused = import_file(runner, path)
    assert_refused(
        refused,
        path,
        [
            ("officer.email", "required: add the policy officer's email address; given nothing"),
            ("survey", "required because channels includes survey; not given"),
            ("evidence.topics", "required: add at least one theme for written evidence"),
        ],
    )

    result = runner.invoke(args=["consultations", "import", "--draft", str(path)])
    assert result.exit_code == 0, result.output
    item = consultation()
    assert item.is_draft
    assert (item.officer_email, item.channels, item.questions) == ("", ["survey", "evidence"], [])
    assert item.evidence_settings["topics"] == []


def test_draft_import_still_refuses_what_a_draft_may_not_have(runner, tmp_path):
    path = write_data(tmp_path, edited({**INCOMPLETE, "channels": ["survey", "phone"]}))
    result = runner.invoke(args=["consultations", "import", "--draft", str(path)])
    assert_refused(
        result, path, [("channels.1", "'phone' is not one of survey, evidence, contact")]
    )
    assert db.session.scalar(select(func.count()).select_from(Consultation)) == 0


def test_draft_import_of_a_published_consultation_keeps_it_published_and_complete(runner, tmp_path):
    assert import_file(runner, write(tmp_path, VALID)).exit_code == 0
    published_at = consultation().published_at
    assert published_at is not None

    incomplete = write_data(tmp_path, edited(INCOMPLETE), name="incomplete.yaml")
    refused = runner.invoke(args=["consultations", "import", "--draft", str(incomplete)])
    assert_refused(
        refused,
        incomplete,
        [
            ("officer.email", "required: add the policy officer's email address"),
            ("survey", "required because channels includes survey"),
            ("evidence.topics", "required: add at least one theme for written evidence"),
        ],
    )

    changed = write_data(tmp_path, edited({"title": "A new title"}), name="changed.yaml")
    result = runner.invoke(args=["consultations", "import", "--draft", str(changed)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"Updated consultation '{SLUG}': A new title"
    item = consultation()
    assert (item.title, item.published_at) == ("A new title", published_at)


def test_an_existing_draft_stays_a_draft_whichever_way_it_is_imported(runner, tmp_path):
    path = write_data(tmp_path, edited(INCOMPLETE))
    assert runner.invoke(args=["consultations", "import", "--draft", str(path)]).exit_code == 0

    again = write_data(tmp_path, edited({"title": "Still a draft"}), name="again.yaml")
    result = import_file(runner, again)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"Updated draft consultation '{SLUG}': Still a draft"
    assert consultation().is_draft

    incomplete = runner.invoke(args=["consultations", "import", "--draft", str(path)])
    assert incomplete.exit_code == 0, incomplete.output
    assert consultation().is_draft and consultation().officer_email == ""


def test_import_help_explains_draft(runner):
    result = runner.invoke(args=["consultations", "import", "--help"])
    assert result.exit_code == 0
    help_text = " ".join(result.output.split())
    assert "--draft" in help_text
    assert "A new consultation is published at once" in help_text
    assert "With --draft a new consultation starts as a draft" in help_text


# --- seed-demo ------------------------------------------------------------------------------

DEMO_DIR = Path(__file__).resolve().parent.parent / "app" / "demo"
DEMOS = {
    "local-services-local-providers": "Local services, local providers",
    "community-transport": "Community transport in rural areas",
    "library-opening-hours": "Library opening hours",
}
DEMO_DRAFT = "parks-and-play-areas"


def demo_question_count(slug: str) -> int:
    data = yaml.safe_load((DEMO_DIR / f"{slug}.yaml").read_text(encoding="utf-8"))
    pages = (data.get("survey") or {}).get("pages", [])
    return sum(len(page["questions"]) for page in pages)


def section_titles(client, group: str) -> list[str]:
    page = BeautifulSoup(client.get("/").get_data(as_text=True), "html.parser")
    section = page.find("section", attrs={"aria-labelledby": f"{group}-heading"})
    assert section is not None, f"no {group} section on the home page"
    return [heading.get_text(strip=True) for heading in section.find_all("h3")]


def test_seed_demo_loads_one_open_one_forthcoming_one_closed(runner, client, clock):
    result = runner.invoke(args=["seed-demo"])

    assert result.exit_code == 0, result.output
    assert sorted(result.output.splitlines()) == sorted(
        [f"Loaded demo consultation '{slug}'" for slug in DEMOS]
        + [f"Loaded demo draft '{DEMO_DRAFT}'"]
        # Two weeks of weekdays from tomorrow (Tuesday 2 February), 12 half hours a day.
        + ["Published 120 call times for 'local-services-local-providers'"]
    )
    items = {slug: consultation(slug) for slug in DEMOS}
    assert {slug: item.title for slug, item in items.items()} == DEMOS
    assert {slug: item.state(clock.now) for slug, item in items.items()} == {
        "local-services-local-providers": State.OPEN,
        "community-transport": State.FORTHCOMING,
        "library-opening-hours": State.CLOSED,
    }
    for slug, item in items.items():
        assert len(item.questions) == demo_question_count(slug)
    assert demo_question_count("local-services-local-providers") > 0

    # A draft, with its checklist still asking for themes, for the admin area to show.
    draft = consultation(DEMO_DRAFT)
    assert draft.is_draft
    assert [item.key for item in still_missing(draft, clock.now)] == ["evidence.topics"]

    # What a visitor sees on the list page: never the draft.
    assert section_titles(client, "open") == [DEMOS["local-services-local-providers"]]
    assert section_titles(client, "forthcoming") == [DEMOS["community-transport"]]
    assert section_titles(client, "closed") == [DEMOS["library-opening-hours"]]


def test_seed_demo_dates_are_9am_and_5pm_local_around_the_test_clock(runner, clock):
    # The clock starts at noon UTC on 1 February 2027 (GMT).
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    main = consultation("local-services-local-providers")
    assert main.opens_at == datetime(2027, 1, 18, 9, 0, tzinfo=UTC)
    assert main.closes_at == datetime(2027, 3, 1, 17, 0, tzinfo=UTC)


def test_seed_demo_deadline_after_the_spring_change_is_5pm_bst(runner, clock):
    clock.set(datetime(2027, 3, 10, 12, 0, tzinfo=UTC))
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    main = consultation("local-services-local-providers")
    assert main.opens_at == datetime(2027, 2, 24, 9, 0, tzinfo=UTC)  # 9am GMT
    assert main.closes_at == datetime(2027, 4, 7, 16, 0, tzinfo=UTC)  # 5pm BST
    assert main.state(clock.now) is State.OPEN


def test_seed_demo_reads_yes_in_show_if_as_the_answer_yes(runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    barriers = next(
        q for q in consultation("local-services-local-providers").questions if q.key == "barriers"
    )
    assert barriers.show_if == {"commissions": ["yes"]}


def test_seed_demo_twice_keeps_them_and_the_admins_override(runner, clock):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    main = consultation("local-services-local-providers")
    dates = (main.opens_at, main.closes_at)
    assert set_override(main, Override.CLOSED, "admin@example.org", utcnow())
    before = row_counts()

    clock.advance(days=3)
    result = runner.invoke(args=["seed-demo"])

    assert result.exit_code == 0, result.output
    assert sorted(result.output.splitlines()) == sorted(
        [f"Kept demo consultation '{slug}'" for slug in DEMOS] + [f"Kept demo draft '{DEMO_DRAFT}'"]
    )
    assert row_counts() == before
    main = consultation("local-services-local-providers")
    assert main.override == Override.CLOSED.value
    assert main.state(clock.now) is State.CLOSED
    assert (main.opens_at, main.closes_at) == dates


def test_a_file_without_grace_minutes_takes_the_sites_setting(app, runner, tmp_path):
    app.config["GRACE_MINUTES"] = 45
    assert "grace_minutes" not in yaml.safe_load(VALID)

    assert import_file(runner, write_data(tmp_path, edited({}))).exit_code == 0
    assert consultation().grace_minutes == 45

    assert import_file(runner, write_data(tmp_path, edited({"grace_minutes": 10}))).exit_code == 0
    assert consultation().grace_minutes == 10


def test_documents_in_no_format_are_refused_unless_none_are_taken(runner, tmp_path):
    refused = write_data(tmp_path, edited({"evidence.attachments": {"max_files": 2, "types": []}}))
    result = import_file(runner, refused)
    assert result.exit_code == 1
    assert problem_lines(result) == [
        f"{refused}: evidence.attachments.types: choose at least one type of document,"
        " or set max_files to 0 to take none; given an empty list"
    ]

    none_taken = write_data(
        tmp_path, edited({"evidence.attachments": {"max_files": 0, "types": []}})
    )
    assert import_file(runner, none_taken).exit_code == 0
