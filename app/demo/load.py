"""Filling a consultation with invented responses, fast, to see the site at scale.

Rows go in through SQLAlchemy Core, many at a time, one transaction per batch: a
hundred thousand responses take seconds, where one ORM object each would take minutes.
Survey answers follow the survey's routing and use the values its forms store, and
each response gets the counted choices and search text the site itself would give it.
The draw is repeatable: the same seed gives the same responses.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import func, insert, select

from app.consultations.lifecycle import State
from app.evidence.services import settings as evidence_settings
from app.extensions import db
from app.intake import search
from app.intake.submissions import REFERENCE_ALPHABET, new_token
from app.models import SUBMITTED, ChoiceAnswer, Consultation, Question, Response, Tag, response_tag
from app.survey import results, routing
from app.survey.forms import OTHER_PREFIX, choice_pairs, text_limit
from app.web.forms import PUBLISH_CHOICES

BATCH_SIZE = 2000
DEMO_SLUG = "local-services-local-providers"
CHANNEL_SHARES = {"survey": 70, "evidence": 20, "contact": 10}
PREFIXES = {"survey": "SV", "evidence": "EV", "contact": "CT"}
DEMO_TAGS = ("Cost", "Access", "Staffing")
TAGGED_SHARE = 0.2

# References are the counter's number scrambled by a step coprime with the number of
# possible references: every counter value gives a different one, and they do not look
# like a sequence.
REFERENCE_SPACE = len(REFERENCE_ALPHABET) ** 6
REFERENCE_STEP = 387_420_489  # 3**18: shares no factor with 29**6
REFERENCE_START = 123_456_789  # so that the first is not SV-222222

FIRST_NAMES = [
    "Amara", "Ben", "Chloe", "Dev", "Erin", "Farah", "Gareth", "Hana", "Ifan", "Jess",
    "Kwame", "Lena", "Marek", "Niamh", "Omar", "Poppy", "Rhys", "Sana", "Tom", "Yusuf",
]  # fmt: skip
SURNAMES = [
    "Adeyemi", "Bryce", "Carver", "Dalton", "Evans", "Fitzgerald", "Gill", "Hughes",
    "Iqbal", "Jenkins", "Khan", "Lowe", "Murray", "Nowak", "Owusu", "Price", "Rahman",
    "Shaw", "Thomas", "Walsh",
]  # fmt: skip
ORGANISATIONS = [
    "Eastfield Community Trust", "Hillside Advice Centre", "Riverside Youth Project",
    "Northgate Food Network", "Canal Street Carers", "Millbrook Tenants Association",
    "Oak Lane Day Centre", "Harbour Side Credit Union",
]  # fmt: skip
SENTENCES = [
    "Small local groups are often shut out because contracts are bundled into one large lot.",
    "The bidding paperwork took our two staff most of a month to complete.",
    "Payment three months in arrears means we have to borrow to cover wages.",
    "Residents trust people they already know from the neighbourhood.",
    "When the contract moved to a national provider, waiting times went up.",
    "Grant funding was easier to manage than the tender that replaced it.",
    "Shorter contracts make it hard to keep experienced staff.",
    "Commissioners rarely visit to see the service in action.",
    "Splitting the contract by area let three local charities take part.",
    "We would bid more often if we heard about opportunities earlier.",
    "The insurance levels asked for are far above the risk of the work.",
    "A shared back office with other groups would cut our costs.",
    "People using the service should help to decide how it is measured.",
    "Outcomes targets ignored the time it takes to build trust with families.",
    "Our volunteers bring skills the contract never asked for.",
    "The council's new social value rules have started to make a difference.",
]  # fmt: skip
SUBJECTS = [
    "Tender timetable", "Question about the survey", "Evidence from our area",
    "Payment terms for small providers", "Meeting request", "Follow-up to our response",
]  # fmt: skip
# Ofcom keeps these ranges for drama: real-looking numbers that reach nobody.
PHONE_RANGES = ["+44207946", "+44161496", "+44113496", "+44117496", "+44121496"]
RESPOND_AS = ("individual", "organisation")


class NoConsultation(Exception):
    """There is nothing to fill; the message says what to do."""


def target(slug: str | None, now: datetime) -> Consultation:
    """The consultation named, or the open one with a survey (the demo's, if there)."""
    if slug:
        consultation = db.session.scalar(select(Consultation).filter_by(slug=slug))
        if consultation is None:
            raise NoConsultation(f"There is no consultation '{slug}'.")
    else:
        candidates = [
            c
            for c in db.session.scalars(select(Consultation).order_by(Consultation.id))
            if c.offers("survey") and c.state(now) is State.OPEN
        ]
        if not candidates:
            raise NoConsultation(
                "There is no open consultation with a survey to fill. Run"
                " `flask --app wsgi seed-demo` first, or name one with --consultation."
            )
        consultation = next((c for c in candidates if c.slug == DEMO_SLUG), candidates[0])
    if not any(consultation.offers(channel) for channel in CHANNEL_SHARES):
        raise NoConsultation(f"'{consultation.slug}' offers no way to respond.")
    if consultation.opens_at >= now:
        raise NoConsultation(f"'{consultation.slug}' has not opened yet.")
    return consultation


@dataclass(frozen=True)
class Window:
    """When responses can have come in: from the opening to the deadline or now."""

    start: datetime
    end: datetime

    def moment(self, rng: random.Random) -> datetime:
        """A time in the window, more likely near its start and its end, as responses
        cluster after a launch and before a deadline."""
        return self.start + (self.end - self.start) * rng.betavariate(0.5, 0.5)


def add_responses(consultation: Consultation, count: int, seed: int, now: datetime) -> int:
    """Add `count` invented submitted responses, a batch per transaction. Returns how many."""
    rng = random.Random(seed)  # noqa: S311 (invented data, not a secret)
    # Plain copies: the routing rules read these attributes hundreds of thousands of
    # times, and an ORM attribute is several times slower to read than a plain one.
    questions = [_plain(question) for question in consultation.questions]
    draw = Drawer(
        rng,
        questions,
        evidence_settings(consultation),
        Window(consultation.opens_at, min(now, consultation.closes_at)),
    )
    channels = [c for c in CHANNEL_SHARES if consultation.offers(c)]
    shares = [CHANNEL_SHARES[c] for c in channels]
    tag_ids = _demo_tags(consultation, now)
    references = References(db.session.scalar(select(func.count(Response.id))) or 0)
    added = 0
    while added < count:
        size = min(BATCH_SIZE, count - added)
        rows = [draw.response(rng.choices(channels, shares)[0]) for _ in range(size)]
        for row, reference in zip(rows, references.take([r["channel"] for r in rows]), strict=True):
            row.update(consultation_id=consultation.id, reference=reference)
            row["survey_version"] = (
                consultation.survey_version if row["channel"] == "survey" else None
            )
            row["search_text"] = search.text_of(SimpleNamespace(**row))  # type: ignore[arg-type]
        _insert(consultation, questions, rows, [_tags_for(rng, tag_ids) for _ in rows])
        added += size
    return added


def _plain(question: Question) -> SimpleNamespace:
    """A question's rules without the ORM: what routing, forms and results read."""
    return SimpleNamespace(
        key=question.key,
        page=question.page,
        type=question.type,
        required=question.required,
        options=list(question.options or []),
        settings=dict(question.settings or {}),
        show_if=dict(question.show_if or {}),
    )


def _insert(
    consultation: Consultation,
    questions: Sequence[SimpleNamespace],
    rows: list[dict[str, Any]],
    tags: list[list[int]],
) -> None:
    """Insert one batch of responses with their counted choices and tags, and commit."""
    db.session.execute(insert(Response.__table__), rows)
    # Asked for by reference rather than with RETURNING: SQLite cannot return the ids of
    # a many-row insert in the rows' order, so SQLAlchemy would insert them one by one.
    found = dict(
        db.session.execute(
            select(Response.reference, Response.id).where(
                Response.reference.in_([row["reference"] for row in rows])
            )
        ).all()
    )
    ids = [found[row["reference"]] for row in rows]
    choices = [
        {
            "response_id": response_id,
            "consultation_id": consultation.id,
            "question_key": key,
            "option": option,
        }
        for response_id, row in zip(ids, rows, strict=True)
        if row["channel"] == "survey"
        for key, option in results.chosen(questions, row["answers"])
    ]
    links = [
        {"response_id": response_id, "tag_id": tag_id}
        for response_id, chosen in zip(ids, tags, strict=True)
        for tag_id in chosen
    ]
    if choices:
        db.session.execute(insert(ChoiceAnswer.__table__), choices)
    if links:
        db.session.execute(insert(response_tag), links)
    db.session.commit()


def _demo_tags(consultation: Consultation, now: datetime) -> list[int]:
    """The consultation's tags, after making the demo's few if it has none."""
    tags = list(db.session.scalars(select(Tag).filter_by(consultation_id=consultation.id)))
    if not tags:
        tags = [
            Tag(consultation_id=consultation.id, name=name, created_at=now) for name in DEMO_TAGS
        ]
        db.session.add_all(tags)
        db.session.commit()
    return [tag.id for tag in tags]


def _tags_for(rng: random.Random, tag_ids: list[int]) -> list[int]:
    """About one response in five gets a tag or two, as a team coding responses might."""
    if not tag_ids or rng.random() >= TAGGED_SHARE:
        return []
    return sorted(rng.sample(tag_ids, k=min(len(tag_ids), rng.choice((1, 1, 2)))))


class References:
    """References from a counter, so no two drawn here clash; one already in the
    database is skipped. The counter starts at the number of responses stored, so a
    second load does not go over the first one's references."""

    def __init__(self, start: int) -> None:
        self.counter = start

    def _next(self, channel: str) -> str:
        number = (REFERENCE_START + self.counter * REFERENCE_STEP) % REFERENCE_SPACE
        self.counter += 1
        letters = []
        for _ in range(6):
            number, digit = divmod(number, len(REFERENCE_ALPHABET))
            letters.append(REFERENCE_ALPHABET[digit])
        return f"{PREFIXES[channel]}-{''.join(letters)}"

    def take(self, channels: list[str]) -> Iterator[str]:
        """One free reference for each channel given, in order."""
        wanted = [self._next(channel) for channel in channels]
        while True:
            taken = set(
                db.session.scalars(select(Response.reference).where(Response.reference.in_(wanted)))
            )
            if not taken:
                return iter(wanted)
            wanted = [
                self._next(channel) if reference in taken else reference
                for channel, reference in zip(channels, wanted, strict=True)
            ]


class Drawer:
    """Draws one invented response at a time from a seeded random generator."""

    def __init__(
        self,
        rng: random.Random,
        questions: list[SimpleNamespace],
        evidence: dict[str, Any],
        window: Window,
    ) -> None:
        self.rng = rng
        self.questions = questions
        self.evidence = evidence
        self.window = window

    def response(self, channel: str) -> dict[str, Any]:
        """Every column of a submitted response through `channel`, but its reference."""
        rng = self.rng
        submitted_at = self.window.moment(rng)
        first, last = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
        row: dict[str, Any] = {
            "channel": channel,
            "status": SUBMITTED,
            "token": new_token(),  # from `secrets`: the seeded draw never makes a secret
            "answers": {},
            "pages_done": [],
            "respond_as": "",
            "name": f"{first} {last}",
            "email": f"{first}.{last}{rng.randrange(1000)}@example.org".lower(),
            "organisation": "",
            "respondent_type": "",
            "topics": [],
            "evidence_text": "",
            "phone": "",
            "subject": "",
            "message": "",
            "wants_call": False,
            "consent": True,
            "publish": "",
            "late": False,
            "started_at": max(
                self.window.start, submitted_at - timedelta(minutes=rng.randint(3, 45))
            ),
            "updated_at": submitted_at,
            "submitted_at": submitted_at,
            "purged_at": None,
        }
        getattr(self, f"_{channel}")(row)
        return row

    def _survey(self, row: dict[str, Any]) -> None:
        rng = self.rng
        answers = self.answers()
        row["answers"] = answers
        row["pages_done"] = routing.route(self.questions, answers)
        row["respond_as"] = rng.choices(RESPOND_AS, (3, 1))[0]
        if row["respond_as"] == "organisation":
            row["organisation"] = rng.choice(ORGANISATIONS)
        row["publish"] = rng.choice(list(PUBLISH_CHOICES))
        if row["publish"] != "named" and rng.random() < 0.3:
            row["name"] = row["email"] = ""  # both are optional unless published by name

    def _evidence(self, row: dict[str, Any]) -> None:
        rng = self.rng
        row["respondent_type"] = rng.choice(self.evidence["respondent_types"])
        if rng.random() < 0.5:
            row["organisation"] = rng.choice(ORGANISATIONS)
        topics = self.evidence["topics"]
        if topics:
            picked = set(rng.sample(topics, k=rng.randint(1, min(3, len(topics)))))
            row["topics"] = [topic for topic in topics if topic in picked]
        row["evidence_text"] = self.paragraphs(rng.randint(1, 4))[: self.evidence["max_length"]]
        row["publish"] = rng.choice(list(PUBLISH_CHOICES))

    def _contact(self, row: dict[str, Any]) -> None:
        rng = self.rng
        row["phone"] = f"{rng.choice(PHONE_RANGES)}0{rng.randrange(1000):03d}"
        if rng.random() < 0.4:
            row["organisation"] = rng.choice(ORGANISATIONS)
        row["subject"] = rng.choice(SUBJECTS)
        row["message"] = self.paragraphs(rng.randint(1, 2))

    def paragraphs(self, count: int) -> str:
        return "\n\n".join(
            " ".join(self.rng.sample(SENTENCES, k=self.rng.randint(2, 4))) for _ in range(count)
        )

    def number(self, low: float | None, high: float | None) -> int | float:
        """A whole number within the question's bounds, or its lower bound if none fits."""
        low = 0 if low is None else low
        high = low + 100 if high is None else high
        if math.ceil(low) > math.floor(high):
            return int(low) if float(low).is_integer() else low
        return self.rng.randint(math.ceil(low), math.floor(high))

    def answers(self) -> dict[str, Any]:
        """Answers to the questions on one route through the survey, in the forms' values."""
        answers: dict[str, Any] = {}
        for question in self.questions:
            if not routing.applies(question, answers):
                continue
            if not question.required and self.rng.random() < 0.2:
                continue  # an optional question left blank
            answers[question.key] = self.answer(question)
        return answers

    def answer(self, question: SimpleNamespace) -> Any:
        """One answer, as the survey's form would store it."""
        rng = self.rng
        kind = question.type
        if kind in ("single", "yesno", "scale"):
            values = [value for value, _label in choice_pairs(question)]
            return rng.choice(values)
        if kind == "multi":
            picked = set(
                rng.sample(question.options, k=rng.randint(1, min(3, len(question.options))))
            )
            chosen = [option for option in question.options if option in picked]
            if question.settings.get("allow_other") and rng.random() < 0.1:
                chosen.append(OTHER_PREFIX + rng.choice(SENTENCES)[:80].rstrip(" ."))
            return chosen
        if kind == "number":
            return self.number(question.settings.get("min"), question.settings.get("max"))
        if kind == "email":
            return f"reply{rng.randrange(100_000)}@example.org"
        limit = text_limit(question)
        if kind == "text":
            return rng.choice(SENTENCES)[:limit]
        return self.paragraphs(rng.randint(1, 2))[:limit]
