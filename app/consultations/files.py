"""Reading consultation files (YAML): every problem reported at once, nothing half-imported."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

import yaml
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from sqlalchemy import select

from app.consultations.checklist import Outline, missing
from app.extensions import db
from app.models import CHANNELS, Consultation, Question, record_audit, utcnow

QUESTION_TYPES = ("single", "multi", "text", "longtext", "yesno", "scale", "email", "number")
CHOICE_TYPES = ("single", "multi")
YES_NO = ("yes", "no")
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


def _as_text(value: Any) -> Any:
    """YAML reads Yes, No, 3 and 1.5 as bools and numbers; options are words, so keep them so."""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, int | float):
        return str(value)
    return value


def _as_answer(value: Any) -> Any:
    """show_if values compare with stored answers, which for yes/no are 'yes' and 'no'."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return _as_text(value)


Text = Annotated[str, Field(min_length=1)]
OptionText = Annotated[str, BeforeValidator(_as_text), Field(min_length=1, max_length=200)]
AnswerText = Annotated[str, BeforeValidator(_as_answer), Field(min_length=1)]


class Strict(BaseModel):
    """Unknown keys are refused, so a typo is reported instead of silently ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Officer(Strict):
    name: Text
    # May be left out of a draft; the checklist asks for it before publishing.
    email: str = ""
    phone: str = ""

    @field_validator("email")
    @classmethod
    def _valid_email(cls, value: str) -> str:
        if not value:
            return value
        try:
            return validate_email(value, check_deliverability=False).normalized
        except EmailNotValidError as error:
            raise ValueError(f"not a valid email address ({error})") from error


class ScaleLabels(Strict):
    min: Text = "Strongly disagree"
    max: Text = "Strongly agree"


class QuestionSpec(Strict):
    key: Annotated[str, Field(max_length=80)]
    type: Literal[QUESTION_TYPES]  # type: ignore[valid-type]
    prompt: Text
    hint: str = ""
    required: bool = False
    options: list[OptionText] = []
    allow_other: bool = False
    max_length: Annotated[int, Field(gt=0, le=50_000)] | None = None
    min: float | None = None
    max: float | None = None
    scale: ScaleLabels | None = None
    show_if: dict[str, list[AnswerText]] = {}

    @field_validator("key")
    @classmethod
    def _key_shape(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z][a-z0-9_]*", value):
            raise ValueError(
                "use lower-case letters, digits and underscores, starting with a letter"
            )
        return value

    @model_validator(mode="after")
    def _fits_type(self) -> QuestionSpec:
        if self.type in CHOICE_TYPES:
            if len(self.options) < 2:
                raise ValueError("a choice question needs at least 2 options")
            if len(set(self.options)) != len(self.options):
                raise ValueError("options must not repeat")
        elif self.options:
            raise ValueError(f"a {self.type} question takes no options")
        if self.allow_other and self.type != "multi":
            raise ValueError("allow_other is only for multi questions")
        if self.max_length is not None and self.type not in ("text", "longtext"):
            raise ValueError("max_length is only for text and longtext questions")
        if (self.min is not None or self.max is not None) and self.type != "number":
            raise ValueError("min and max are only for number questions")
        if self.min is not None and self.max is not None and self.min >= self.max:
            raise ValueError("min must be less than max")
        if self.scale is not None and self.type != "scale":
            raise ValueError("scale labels are only for scale questions")
        return self


class PageSpec(Strict):
    title: Text
    questions: Annotated[list[QuestionSpec], Field(min_length=1)]


class SurveySpec(Strict):
    pages: Annotated[list[PageSpec], Field(min_length=1)]


class AttachmentRules(Strict):
    max_files: Annotated[int, Field(ge=0, le=10)] = 3
    max_mb: Annotated[int, Field(gt=0, le=25)] = 10
    types: list[Literal[ATTACHMENT_TYPES]] = list(ATTACHMENT_TYPES)  # type: ignore[valid-type]


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


def _answer_values(question: dict[str, Any]) -> list[str] | None:
    """The answers a show_if may name for this (raw) question, or None for free text."""
    kind = question.get("type")
    if kind in CHOICE_TYPES:
        options = question.get("options")
        return [_as_text(o) for o in options] if isinstance(options, list) else []
    if kind == "yesno":
        return list(YES_NO)
    if kind == "scale":
        return [str(n) for n in range(1, 6)]
    return None


def _raw_questions(data: dict[str, Any]):
    """(key path, question) for every question-shaped mapping in the survey, however broken."""
    survey = data.get("survey")
    pages = survey.get("pages") if isinstance(survey, dict) else None
    for p, page in enumerate(pages if isinstance(pages, list) else []):
        questions = page.get("questions") if isinstance(page, dict) else None
        for q, question in enumerate(questions if isinstance(questions, list) else []):
            if isinstance(question, dict):
                yield f"survey.pages.{p}.questions.{q}", question


def _routing_problems(data: dict[str, Any]) -> list[str]:
    """Keys must be unique and show_if may only name an earlier question and its answers.

    Worked on the raw data, so that these are listed even when other parts are wrong.
    """
    problems: list[str] = []
    earlier: dict[str, list[str] | None] = {}
    for where, question in _raw_questions(data):
        key = question.get("key")
        if isinstance(key, str) and key in earlier:
            problems.append(f"{where}.key: '{key}' is used by an earlier question")
        show_if = question.get("show_if")
        for name, values in show_if.items() if isinstance(show_if, dict) else []:
            if name not in earlier:
                problems.append(f"{where}.show_if.{name}: no earlier question has this key")
                continue
            allowed = earlier[name]
            if allowed is None:
                problems.append(f"{where}.show_if.{name}: '{name}' has free text answers")
                continue
            for value in values if isinstance(values, list) else []:
                if _as_answer(value) not in allowed:
                    problems.append(
                        f"{where}.show_if.{name}: '{_as_answer(value)}' is not an answer to"
                        f" '{name}' (choose from {', '.join(allowed)})"
                    )
        if isinstance(key, str):
            earlier.setdefault(key, _answer_values(question))
    return problems


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
                problems.append(f"{section}: required because channels includes {section}")
    return problems + _routing_problems(data)


def _localise(value: Any, zone: ZoneInfo) -> Any:
    """Read a time without an offset in the site's zone.

    YAML only makes a datetime of times with seconds; "2027-03-01T17:00" stays text.
    """
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value  # left for the schema to report
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=zone)
    return value


def _given(value: Any) -> str:
    """What was given, as a person would recognise it in their file or form."""
    if isinstance(value, dict):
        return "a mapping of keys"
    if isinstance(value, list):
        return "a list"
    if value is None or value == "":
        return "nothing"
    shown = str(value)
    return repr(shown if len(shown) <= 60 else shown[:57] + "...")


def _key_problem(error: dict[str, Any]) -> tuple[str, str]:
    """(key path, message) for one schema error, naming what was given."""
    path = ".".join(str(part) for part in error["loc"]) or "(top level)"
    if error["type"] == "missing":
        return path, "required"
    if error["type"] == "extra_forbidden":
        return path, "unknown key"
    message = error["msg"].removeprefix("Value error, ")
    message = message[:1].lower() + message[1:]
    return path, f"{message}; given {_given(error.get('input'))}"


def parse_consultation(
    data: Any, source: str, zone: ZoneInfo, draft: bool = False
) -> ConsultationSpec:
    """Check already-loaded YAML data; raise ConsultationFileError listing every problem.

    A draft may lack what the publishing checklist asks for (the officer's email, a way
    of taking part, the survey's questions, the evidence themes); anything else is
    checked the same way for drafts and published consultations, from a file or a form.
    """
    if not isinstance(data, dict):
        raise ConsultationFileError([f"{source}: (top level): expected a mapping of keys"])
    data = dict(data)
    problems = []
    date_only = set()
    for key in ("opens_at", "closes_at"):
        value = data.get(key)
        if isinstance(value, date) and not isinstance(value, datetime):
            problems.append(
                f"{key}: give a time as well as a date, like {value.isoformat()}T17:00;"
                f" given {value.isoformat()}"
            )
            date_only.add(key)
            del data[key]
        elif key in data:
            data[key] = _localise(value, zone)
    by_key = [tuple(problem.split(": ", 1)) for problem in problems]
    by_key.extend(
        tuple(problem.split(": ", 1)) for problem in _whole_file_problems(data, draft)
    )
    spec = None
    try:
        spec = ConsultationSpec.model_validate(data)
    except ValidationError as error:
        by_key.extend(
            _key_problem(detail)
            for detail in error.errors()
            if not (detail["loc"] and detail["loc"][0] in date_only)
        )
    if spec is not None and not draft:
        reported = {key for key, _ in by_key}
        by_key.extend(
            (item.key, f"required: {item.text[:1].lower()}{item.text[1:]}")
            for item in missing(spec.outline())
            if not any(item.key == key or item.key.startswith(f"{key}.") for key in reported)
        )
    if by_key:
        raise ConsultationFileError([f"{source}: {key}: {what}" for key, what in by_key], by_key)
    return spec


def load_consultation_file(path: Path, zone: ZoneInfo) -> ConsultationSpec:
    """Read and check one consultation file."""
    source = str(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise ConsultationFileError([f"{source}: cannot be read ({error})"]) from error
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        raise ConsultationFileError([f"{source}: {where}not valid YAML ({problem})"]) from error
    return parse_consultation(data, source, zone)


def _questions(spec: ConsultationSpec) -> list[Question]:
    if spec.survey is None:
        return []
    rows = []
    for page_number, page in enumerate(spec.survey.pages, start=1):
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
    pages: dict[int, dict[str, Any]] = {}
    for question in consultation.questions:
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
        item.update(question.settings or {})
        if question.show_if:
            item["show_if"] = {key: list(values) for key, values in question.show_if.items()}
        page["questions"].append(item)
    return {"pages": [pages[number] for number in sorted(pages)]} if pages else None


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
    consultation.questions.extend(_questions(spec))
    record_audit(
        actor, "import", consultation, "Created from file" if created else "Updated from file"
    )
    db.session.commit()
    return consultation, created
