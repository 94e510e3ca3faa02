"""Reading consultation files (YAML): every problem reported at once, nothing half-imported.

Also writing a consultation back out as its file, and saving a checked file's
consultation. The survey's part of the schema and its routing checks are in
app.consultations.survey_schema, which is pure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

import yaml
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from pydantic import Field, ValidationError, ValidationInfo, field_validator
from sqlalchemy import select

from app.consultations.checklist import Outline, missing
from app.consultations.file_problems import EXAMPLE_TIME, given, key_problem
from app.consultations.survey_schema import (
    CONTROL,
    Name,
    OptionText,
    Strict,
    SurveySpec,
    Text,
    routing_problems,
)
from app.extensions import db
from app.models import CHANNELS, Consultation, Question, record_audit, utcnow

DEFAULT_RESPONDENT_TYPES = [
    "Community organisation",
    "Elected councillor",
    "Council officer",
    "Think tank",
    "Academic",
    "Other",
]
ATTACHMENT_TYPES = ("pdf", "docx", "odt", "txt")


class ConsultationFileError(Exception):
    """A consultation file that cannot be imported, with every problem found.

    `problems` are whole lines ("file: key.path: what is wrong"); `by_key` gives the
    same problems by key path, for a form that shows each one by its field.
    """

    def __init__(self, problems: list[str], by_key: list[tuple[str, str]] | None = None) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems
        self.by_key = by_key or []


class Officer(Strict):
    name: Name
    # May be left out of a draft; the checklist asks for it before publishing.
    email: Annotated[str, Field(max_length=254)] = ""
    phone: Annotated[str, Field(max_length=40)] = ""

    @field_validator("email")
    @classmethod
    def _valid_email(cls, value: str) -> str:
        if not value:
            return value
        try:
            return validate_email(value, check_deliverability=False).normalized
        except EmailNotValidError as error:
            raise ValueError(f"not a valid email address ({error})") from error


class AttachmentRules(Strict):
    max_files: Annotated[int, Field(ge=0, le=10)] = 3
    max_mb: Annotated[int, Field(gt=0, le=25)] = 10
    types: list[Literal[ATTACHMENT_TYPES]] = list(ATTACHMENT_TYPES)  # type: ignore[valid-type]

    @field_validator("types")
    @classmethod
    def _some_type_if_any_document(cls, value: list[str], info: ValidationInfo) -> list[str]:
        if not value and info.data.get("max_files", 0) > 0:
            raise ValueError(
                "choose at least one type of document, or set max_files to 0 to take none"
            )
        return value


class EvidenceSpec(Strict):
    respondent_types: Annotated[list[OptionText], Field(min_length=1)] = DEFAULT_RESPONDENT_TYPES
    # May be empty in a draft; the checklist asks for themes before publishing.
    topics: list[OptionText] = []
    max_length: Annotated[int, Field(gt=0, le=100_000)] = 20_000
    attachments: AttachmentRules = AttachmentRules()


class ContactSpec(Strict):
    """Whether "get in touch" stays available once the consultation has closed."""

    messages_after_close: bool = True
    bookings_after_close: bool = False


class ConsultationSpec(Strict):
    slug: Annotated[str, Field(max_length=80)]
    title: Annotated[str, Field(min_length=1, max_length=200)]
    summary: Text
    body: str = ""
    opens_at: datetime
    closes_at: datetime
    # None: the site's GRACE_MINUTES.
    grace_minutes: Annotated[int, Field(ge=0, le=24 * 60)] | None = None
    officer: Officer
    channels: list[Literal[CHANNELS]] = []  # type: ignore[valid-type]
    survey: SurveySpec | None = None
    evidence: EvidenceSpec | None = None
    contact: ContactSpec = ContactSpec()
    # "instant": an email to the officer per submission; "daily": one digest a day.
    alert_mode: Literal["instant", "daily"] = "instant"

    def outline(self) -> Outline:
        """What the publishing checklist looks at."""
        questions = sum(len(page.questions) for page in self.survey.pages) if self.survey else 0
        return Outline(
            officer_email=self.officer.email,
            channels=tuple(self.channels),
            topics=tuple(self.evidence.topics) if self.evidence else (),
            question_count=questions,
            closes_at=self.closes_at,
        )

    @field_validator("slug")
    @classmethod
    def _slug_shape(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", value):
            raise ValueError(
                "use lower-case letters, digits and single hyphens, like local-services-2027"
            )
        return value


def _whole_file_problems(data: dict[str, Any], draft: bool) -> list[str]:
    """Checks that span several keys, on the raw data, so field errors do not hide them."""
    problems = []
    opens_at, closes_at = data.get("opens_at"), data.get("closes_at")
    if isinstance(opens_at, datetime) and isinstance(closes_at, datetime):
        if closes_at <= opens_at:
            problems.append(
                f"closes_at: must be after opens_at ({opens_at.isoformat()});"
                f" given {closes_at.isoformat()}"
            )
    channels = data.get("channels")
    if isinstance(channels, list):
        names = [c for c in channels if isinstance(c, str)]
        if len(set(names)) != len(names):
            repeated = sorted({name for name in names if names.count(name) > 1})
            problems.append(f"channels: must not repeat; given {', '.join(repeated)} twice")
        for section in ("survey", "evidence")[1 if draft else 0 :]:
            if section in names and data.get(section) is None:
                problems.append(
                    f"{section}: required because channels includes {section}; not given"
                )
    return problems + routing_problems(data)


def _localise(value: Any, zone: ZoneInfo) -> Any:
    """Read a time without an offset in the site's zone, and text as a date or a time.

    YAML only makes a datetime of times with seconds; "2027-03-01T17:00" stays text.
    """
    if isinstance(value, str):
        try:
            value = (date if len(value.strip()) == 10 else datetime).fromisoformat(value.strip())
        except ValueError:
            return value  # left for the schema to report
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=zone)
    return value


def _time_problem(value: Any) -> str | None:
    """What is wrong with an opening time or deadline that the schema would misread."""
    if isinstance(value, date) and not isinstance(value, datetime):
        example = f"{value.isoformat()}T17:00"
        return f"give a time as well as a date, like {example}; given {given(value)}"
    if isinstance(value, bool | int | float):
        # The schema would take a number for seconds since 1970.
        return f"must be a date and time, like {EXAMPLE_TIME}; given {given(value)}"
    return None


def _control_problems(value: Any, path: str = "") -> list[str]:
    """A problem for each text in the raw data that holds a control character."""
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        found = CONTROL.search(value) if isinstance(value, str) else None
        if found is None:
            return []
        code = f"U+{ord(found.group()):04X}"
        problem = f"must not hold a control character ({code}); given {given(value)}"
        return [f"{path or '(top level)'}: {problem}"]
    return [
        problem
        for key, item in items
        for problem in _control_problems(item, f"{path}.{key}" if path else str(key))
    ]


def _checklist_problems(spec: ConsultationSpec, reported: set[str]) -> list[tuple[str, str]]:
    """What publishing needs that the file lacks, unless a problem at that key was listed."""
    return [
        (item.key, f"required: {item.text[:1].lower()}{item.text[1:]}; given nothing")
        for item in missing(spec.outline())
        if not any(item.key == key or item.key.startswith(f"{key}.") for key in reported)
    ]


def parse_consultation(
    data: Any, source: str, zone: ZoneInfo, draft: bool = False
) -> ConsultationSpec:
    """Check already-loaded YAML data; raise ConsultationFileError listing every problem.

    A draft may lack what the publishing checklist asks for (the officer's email, a way
    of taking part, the survey's questions, the evidence themes); anything else is
    checked the same way for drafts and published consultations, from a file or a form.
    Each problem names its key, what was given and what would be right.
    """
    if not isinstance(data, dict):
        raise ConsultationFileError(
            [f"{source}: (top level): expected a mapping of keys; given {given(data)}"]
        )
    data = dict(data)
    problems = _control_problems(data)
    refused = set()
    for key in ("opens_at", "closes_at"):
        if key not in data:
            continue
        value = _localise(data[key], zone)
        problem = _time_problem(value)
        if problem:
            problems.append(f"{key}: {problem}")
            refused.add(key)
            del data[key]  # so that the schema does not report it again
        else:
            data[key] = value
    problems.extend(_whole_file_problems(data, draft))
    by_key = [tuple(problem.split(": ", 1)) for problem in problems]
    spec = None
    try:
        spec = ConsultationSpec.model_validate(data)
    except ValidationError as error:
        by_key.extend(
            key_problem(detail, ConsultationSpec)
            for detail in error.errors()
            if not (detail["loc"] and detail["loc"][0] in refused)
        )
    if spec is not None and not draft:
        by_key.extend(_checklist_problems(spec, {key for key, _ in by_key}))
    if by_key:
        raise ConsultationFileError([f"{source}: {key}: {what}" for key, what in by_key], by_key)
    return spec


class _FileLoader(yaml.SafeLoader):
    """YAML's safe loader, except that an impossible date (30 February) stays text, for
    the checks to report by its key, instead of stopping the whole file."""

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            return self.construct_scalar(node)


_FileLoader.add_constructor("tag:yaml.org,2002:timestamp", _FileLoader.construct_yaml_timestamp)


def read_consultation_file(path: Path) -> Any:
    """The YAML data in a consultation file, not yet checked."""
    source = str(path)
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_FileLoader)  # noqa: S506
    except (OSError, UnicodeDecodeError) as error:
        raise ConsultationFileError([f"{source}: cannot be read ({error})"]) from error
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        raise ConsultationFileError([f"{source}: {where}not valid YAML ({problem})"]) from error


def load_consultation_file(path: Path, zone: ZoneInfo, draft: bool = False) -> ConsultationSpec:
    """Read and check one consultation file (as a draft's, with `draft`)."""
    return parse_consultation(read_consultation_file(path), str(path), zone, draft=draft)


def import_consultation_file(
    path: Path, zone: ZoneInfo, draft: bool = False, actor: str = "command line"
) -> tuple[Consultation, bool]:
    """Create or update the consultation a file describes; (consultation, created).

    A new consultation is published at once, so the file must have everything publishing
    needs; with `draft` it starts as a draft and may lack what a draft may. An existing
    consultation keeps its state, and a published one must stay complete.
    """
    data = read_consultation_file(path)
    slug = data.get("slug") if isinstance(data, dict) else None
    existing = (
        db.session.scalar(select(Consultation).filter_by(slug=slug))
        if isinstance(slug, str)
        else None
    )
    as_draft = draft and (existing is None or existing.is_draft)
    spec = parse_consultation(data, str(path), zone, draft=as_draft)
    return save_consultation(spec, actor=actor, published=not draft)


def question_rows(survey: SurveySpec | None) -> list[Question]:
    """The question rows of a checked survey, from a file or the survey builder."""
    if survey is None:
        return []
    rows = []
    for page_number, page in enumerate(survey.pages, start=1):
        for position, q in enumerate(page.questions, start=1):
            settings = q.model_dump(
                include={"allow_other", "max_length", "min", "max", "scale"}, exclude_none=True
            )
            rows.append(
                Question(
                    key=q.key,
                    page=page_number,
                    page_title=page.title,
                    position=position,
                    type=q.type,
                    prompt=q.prompt,
                    hint=q.hint,
                    required=q.required,
                    options=list(q.options),
                    settings=settings,
                    show_if=q.show_if,
                )
            )
    return rows


def survey_data(consultation: Consultation) -> dict[str, Any] | None:
    """The consultation's questions in the file format's `survey` shape, or None if it has none."""
    return survey_shape(consultation.questions)


def survey_shape(questions: Iterable[Question]) -> dict[str, Any] | None:
    """Questions, in order, in the file format's `survey` shape; None for no questions."""
    pages: dict[int, dict[str, Any]] = {}
    for question in questions:
        page = pages.setdefault(question.page, {"title": question.page_title, "questions": []})
        item: dict[str, Any] = {
            "key": question.key,
            "type": question.type,
            "prompt": question.prompt,
        }
        if question.hint:
            item["hint"] = question.hint
        if question.required:
            item["required"] = True
        if question.options:
            item["options"] = list(question.options)
        # allow_other is stored for every question; a file names it only where it is on.
        item.update({k: v for k, v in (question.settings or {}).items() if v is not False})
        if question.show_if:
            item["show_if"] = {key: list(values) for key, values in question.show_if.items()}
        page["questions"].append(item)
    return {"pages": [pages[number] for number in sorted(pages)]} if pages else None


def file_data(consultation: Consultation) -> dict[str, Any]:
    """Everything the consultation's file says, in the file's order: what `import` reads back.

    Times are in the site's zone with their offset; the evidence settings are written in
    full, defaults too, so the file says what is in force. A consultation without
    questions has no `survey` key; one neither offering evidence nor holding evidence
    settings has no `evidence` key.
    """
    zone = current_app.config["SITE_ZONE"]
    data: dict[str, Any] = {
        "slug": consultation.slug,
        "title": consultation.title,
        "summary": consultation.summary,
        "body": consultation.body,
        "opens_at": consultation.opens_at.astimezone(zone),
        "closes_at": consultation.closes_at.astimezone(zone),
        "grace_minutes": consultation.grace_minutes,
        "officer": {
            "name": consultation.officer_name,
            "email": consultation.officer_email,
            "phone": consultation.officer_phone,
        },
        "channels": list(consultation.channels or []),
    }
    survey = survey_data(consultation)
    if survey is not None:
        data["survey"] = survey
    # A consultation offering evidence always gets the section, so its file imports even
    # when nobody has changed the defaults.
    if consultation.evidence_settings or consultation.offers("evidence"):
        data["evidence"] = EvidenceSpec.model_validate(
            consultation.evidence_settings or {}
        ).model_dump()
    data["contact"] = {
        "messages_after_close": consultation.messages_after_close,
        "bookings_after_close": consultation.bookings_after_close,
    }
    data["alert_mode"] = consultation.alert_mode
    return data


# YAML reads a carriage return, NEL and the Unicode line and paragraph separators as line
# breaks wherever they stand unescaped; only a double-quoted scalar escapes them.
YAML_BREAKS = re.compile("[\r\x85\u2028\u2029]")
TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
SHORT_LIST = 60


class _FileDumper(yaml.SafeDumper):
    """Writes a file for people: lists indented under their key, no anchors."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, False)

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_text(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    """Text of several lines as a literal block where YAML allows one (the emitter quotes
    it otherwise); anything a typed value holds is quoted as it must be."""
    style = None
    if YAML_BREAKS.search(text):
        style = '"'
    elif "\n" in text:
        style = "|"
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


def _represent_time(dumper: yaml.SafeDumper, moment: datetime) -> yaml.ScalarNode:
    """ISO 8601 with its offset, as YAML's own timestamp where YAML would read it as one."""
    text = moment.isoformat()
    if dumper.resolve(yaml.ScalarNode, text, (True, False)) == TIMESTAMP_TAG:
        return dumper.represent_scalar(TIMESTAMP_TAG, text)
    return _represent_text(dumper, text)


def _represent_list(dumper: yaml.SafeDumper, items: list[Any]) -> yaml.SequenceNode:
    """A short list of words on one line, [like, this]; anything longer one item a line."""
    words = all(isinstance(item, str) and "\n" not in item for item in items)
    short = words and len(", ".join(items)) <= SHORT_LIST
    return dumper.represent_sequence("tag:yaml.org,2002:seq", items, flow_style=short)


_FileDumper.add_representer(str, _represent_text)
_FileDumper.add_representer(list, _represent_list)
_FileDumper.add_representer(datetime, _represent_time)


def file_text(consultation: Consultation) -> str:
    """The consultation as a YAML file that `flask consultations import` reads back."""
    return yaml.dump(
        file_data(consultation),
        Dumper=_FileDumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
    )


def apply_settings(consultation: Consultation, spec: ConsultationSpec, created: bool) -> None:
    """Set everything a file or the settings form describes, except the slug and questions.

    On an existing consultation, what an admin chose (contact after the close, email
    alerts) stays unless the spec says otherwise, as the open/closed setting always does.
    """
    consultation.title = spec.title
    consultation.summary = spec.summary
    consultation.body = spec.body
    consultation.opens_at = spec.opens_at
    consultation.closes_at = spec.closes_at
    consultation.grace_minutes = (
        spec.grace_minutes
        if spec.grace_minutes is not None
        else current_app.config["GRACE_MINUTES"]
    )
    consultation.channels = list(spec.channels)
    consultation.officer_name = spec.officer.name
    consultation.officer_email = spec.officer.email
    consultation.officer_phone = spec.officer.phone
    consultation.evidence_settings = spec.evidence.model_dump() if spec.evidence else {}
    if created or "contact" in spec.model_fields_set:
        consultation.messages_after_close = spec.contact.messages_after_close
        consultation.bookings_after_close = spec.contact.bookings_after_close
    if created or "alert_mode" in spec.model_fields_set:
        consultation.alert_mode = spec.alert_mode


def save_consultation(
    spec: ConsultationSpec,
    update: bool = True,
    actor: str = "command line",
    published: bool = True,
) -> tuple[Consultation, bool]:
    """Create the consultation, or replace the content of the one with its slug, in one commit.

    An admin's open/closed override is kept: a file describes content and dates, not state.
    With update=False an existing consultation is left as it is. A new one is published
    at once unless `published` is False; an existing one keeps its draft or published state.
    """
    consultation = db.session.scalar(select(Consultation).filter_by(slug=spec.slug))
    created = consultation is None
    if not created and not update:
        return consultation, False
    if created:
        consultation = Consultation(slug=spec.slug, published_at=utcnow() if published else None)
        db.session.add(consultation)
    else:
        consultation.questions.clear()
        db.session.flush()  # delete the old questions before their keys are reused
    apply_settings(consultation, spec, created)
    consultation.questions.extend(question_rows(spec.survey))
    detail = "Created from file" if created else "Updated from file"
    if created and not published:
        detail += " as a draft"
    record_audit(actor, "import", consultation, detail)
    db.session.commit()
    return consultation, created
