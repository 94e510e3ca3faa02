"""`flask demo-load`: invented responses, many at once, that look like what the site stores.

Every response it adds must be one the site could have received: answers on a real
route through the survey with the values the forms store, counted choices and search
text as the site computes them, unique references and tokens, and no email queued.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from app import create_app
from app.demo import load
from app.evidence.services import settings as evidence_settings
from app.extensions import db
from app.formatting import phones
from app.intake import search
from app.intake.submissions import REFERENCE_ALPHABET
from app.models import (
    SUBMITTED,
    ChoiceAnswer,
    Consultation,
    OutboxEmail,
    Response,
    Tag,
    response_tag,
)
from app.survey import results, routing
from app.survey.forms import OTHER_PREFIX, choice_pairs, text_limit
from app.survey.forms import SET_ANSWER_TYPES as CHOICE_TYPES
from app.web.forms import PUBLISH_CHOICES

DEMO = "local-services-local-providers"
DEMO_TITLE = "Local services, local providers"
REFERENCE = re.compile(rf"(SV|EV|CT)-[{REFERENCE_ALPHABET}]{{6}}")
PREFIX = {"survey": "SV", "evidence": "EV", "contact": "CT"}


def consultation(slug: str = DEMO) -> Consultation:
    db.session.rollback()
    return db.session.scalar(select(Consultation).filter_by(slug=slug))


def responses(slug: str = DEMO) -> list[Response]:
    db.session.rollback()
    return list(
        db.session.scalars(
            select(Response).join(Consultation).filter_by(slug=slug).order_by(Response.id)
        )
    )


def demo_load(runner, *args: str):
    result = runner.invoke(args=["demo-load", *args])
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def seeded(runner) -> None:
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output


@pytest.fixture
def loaded(runner, seeded) -> list[Response]:
    """The demo consultation after adding 300 responses to it."""
    before = len(responses())
    result = demo_load(runner, "--responses", "300")
    assert re.fullmatch(rf"Added 300 responses to {DEMO_TITLE} in \d+\.\d s\.\n", result.output), (
        result.output
    )
    added = responses()
    assert len(added) == before + 300
    return added


def test_it_adds_exactly_that_many_submitted_responses_through_every_channel(loaded):
    assert {r.status for r in loaded} == {SUBMITTED}
    assert {r.late for r in loaded} == {False}
    by_channel = Counter(r.channel for r in loaded)
    assert set(by_channel) == {"survey", "evidence", "contact"}
    # About 70%, 20% and 10%: wide bounds, as the draw is random.
    assert 170 <= by_channel["survey"] <= 250
    assert 30 <= by_channel["evidence"] <= 95
    assert 10 <= by_channel["contact"] <= 55


def test_references_and_tokens_are_unique_and_shaped_like_the_sites(loaded):
    references = [r.reference for r in loaded]
    tokens = [r.token for r in loaded]
    assert len(set(references)) == len(references)
    assert len(set(tokens)) == len(tokens)
    for response in loaded:
        assert REFERENCE.fullmatch(response.reference), response.reference
        assert response.reference.startswith(PREFIX[response.channel] + "-")
        assert len(response.token) >= 32


def test_it_sends_no_email(loaded):
    assert db.session.scalar(select(func.count()).select_from(OutboxEmail)) == 0


def test_they_came_in_between_the_opening_and_now(loaded, clock):
    demo = consultation()
    for response in loaded:
        assert demo.opens_at <= response.submitted_at <= clock.now
        assert demo.opens_at <= response.started_at <= response.submitted_at
        assert response.updated_at == response.submitted_at


def valid_answer(question, value: Any) -> bool:
    """Whether the survey's form could have stored this answer to the question."""
    values = {value for value, _label in choice_pairs(question)}
    if question.type == "multi":
        return (
            isinstance(value, list)
            and len(value) == len(set(value)) > 0
            and all(
                item in values
                or (question.settings.get("allow_other") and item.startswith(OTHER_PREFIX))
                for item in value
            )
        )
    if question.type in CHOICE_TYPES:
        return value in values
    if question.type == "number":
        low, high = question.settings.get("min"), question.settings.get("max")
        return (
            isinstance(value, int | float)
            and (low is None or value >= low)
            and (high is None or value <= high)
        )
    if question.type == "email":
        return isinstance(value, str) and value.endswith("@example.org")
    return isinstance(value, str) and 0 < len(value) <= text_limit(question)


def test_survey_answers_follow_the_routing_and_use_the_forms_values(loaded):
    questions = list(consultation().questions)
    surveys = [r for r in loaded if r.channel == "survey"]
    routes = set()
    for response in surveys:
        answers = response.answers
        assert routing.kept_answers(questions, answers) == answers
        for question in questions:
            on_route = routing.applies(question, answers)
            if question.key in answers:
                assert on_route, (response.reference, question.key)
                assert valid_answer(question, answers[question.key]), (
                    question.key,
                    answers[question.key],
                )
            elif on_route:
                assert not question.required, (response.reference, question.key)
        assert response.pages_done == routing.route(questions, answers)
        assert routing.first_unanswered(questions, answers, response.pages_done) is None
        assert response.consent is True
        assert response.publish in PUBLISH_CHOICES
        assert response.respond_as in ("individual", "organisation")
        assert bool(response.organisation) == (response.respond_as == "organisation")
        if response.publish == "named":
            assert response.name
        routes.add(tuple(response.pages_done))
    assert len(routes) >= 3  # community organisations, council officers and the rest


def test_counted_choices_are_those_the_site_would_count(loaded):
    questions = list(consultation().questions)
    stored: dict[int, list[tuple[str, str]]] = {}
    for response_id, key, option in db.session.execute(
        select(ChoiceAnswer.response_id, ChoiceAnswer.question_key, ChoiceAnswer.option).order_by(
            ChoiceAnswer.id
        )
    ):
        stored.setdefault(response_id, []).append((key, option))
    surveys = [r for r in loaded if r.channel == "survey"]
    for response in surveys:
        assert stored.get(response.id, []) == results.chosen(questions, response.answers)
    assert set(stored) <= {r.id for r in surveys}
    assert sum(len(rows) for rows in stored.values()) > len(surveys)


def test_search_text_is_what_the_site_computes(loaded):
    for response in loaded:
        assert response.search_text == search.text_of(response)
    assert all(r.name.casefold() in r.search_text for r in loaded if r.name)


def test_evidence_and_messages_are_filled_in_as_their_forms_require(loaded):
    demo = consultation()
    settings = evidence_settings(demo)
    evidence = [r for r in loaded if r.channel == "evidence"]
    messages = [r for r in loaded if r.channel == "contact"]
    for response in evidence:
        assert response.name and response.email.endswith("@example.org")
        assert response.respondent_type in settings["respondent_types"]
        assert response.topics and set(response.topics) <= set(settings["topics"])
        assert 0 < len(response.evidence_text) <= settings["max_length"]
        assert response.consent is True and response.publish in PUBLISH_CHOICES
        assert response.answers == {}
    assert any(r.organisation for r in evidence) and not all(r.organisation for r in evidence)
    for response in messages:
        assert response.name and response.email.endswith("@example.org")
        assert phones.parse(response.phone, "GB") == response.phone
        assert response.subject and response.message
        assert response.wants_call is False


def test_about_a_fifth_are_tagged_with_the_demo_tags(loaded):
    demo = consultation()
    tags = db.session.scalars(select(Tag).filter_by(consultation_id=demo.id)).all()
    assert sorted(tag.name for tag in tags) == ["Access", "Cost", "Staffing"]
    tagged = db.session.scalar(select(func.count(func.distinct(response_tag.c.response_id))))
    assert 30 <= tagged <= 95  # about 60 of 300


def test_a_second_load_adds_more_without_a_clash_and_keeps_the_tags(loaded, runner):
    demo_load(runner, "--responses", "40", "--seed", "1")

    again = responses()
    assert len(again) == len(loaded) + 40
    assert len({r.reference for r in again}) == len(again)
    tags = db.session.scalars(select(Tag).filter_by(consultation_id=consultation().id)).all()
    assert len(tags) == 3


def test_a_reference_already_taken_is_skipped(seeded, clock):
    first = next(load.References(0).take(["survey"]))
    demo = consultation()
    db.session.add(
        Response(
            consultation=demo,
            channel="survey",
            status=SUBMITTED,
            token="x" * 32,
            reference=first,
            answers={},
            pages_done=[],
            started_at=clock.now,
            updated_at=clock.now,
            submitted_at=clock.now,
        )
    )
    db.session.commit()

    drawn = list(load.References(0).take(["survey", "survey", "contact"]))

    assert first not in drawn
    assert len(set(drawn)) == 3
    assert [reference[:3] for reference in drawn] == ["SV-", "SV-", "CT-"]


def test_a_named_consultation_gets_only_the_channels_it_offers(seeded, runner, clock):
    demo_load(runner, "--responses", "60", "--consultation", "library-opening-hours")

    library = consultation("library-opening-hours")
    added = responses("library-opening-hours")
    assert len(added) == 60
    assert {r.channel for r in added} == {"survey"}
    assert all(library.opens_at <= r.submitted_at <= library.closes_at for r in added)


def snapshot(app: Flask) -> list[tuple]:
    """What a load drew, as stored in `app`'s database (ids and tokens aside)."""
    with app.app_context():
        rows = [
            (r.channel, r.reference, r.answers, r.name, r.email, r.phone, r.submitted_at)
            for r in db.session.scalars(select(Response).order_by(Response.id))
        ]
        db.session.remove()
        db.engine.dispose()
    return rows


@pytest.fixture
def fresh_app(app_config: dict, databases):
    """Another app, on a fresh database with the migrated schema."""
    made = []

    def make(name: str) -> Flask:
        made.append(databases.fresh())
        other = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": made[-1]})
        runner = other.test_cli_runner()
        assert runner.invoke(args=["seed-demo"]).exit_code == 0
        return other

    yield make
    for url in made:
        databases.drop(url)


def test_the_same_seed_draws_the_same_responses_on_a_fresh_database(fresh_app):
    first, second, third = fresh_app("first"), fresh_app("second"), fresh_app("third")
    demo_load(first.test_cli_runner(), "--responses", "50", "--seed", "7")
    demo_load(second.test_cli_runner(), "--responses", "50", "--seed", "7")
    demo_load(third.test_cli_runner(), "--responses", "50", "--seed", "8")

    drawn = snapshot(first)
    assert len(drawn) == 50
    assert snapshot(second) == drawn
    assert [row[2:] for row in snapshot(third)] != [row[2:] for row in drawn]


def test_without_a_consultation_it_says_to_run_seed_demo(runner):
    result = runner.invoke(args=["demo-load", "--responses", "10"])

    assert result.exit_code != 0
    assert "flask --app wsgi seed-demo" in result.output
    assert "Traceback" not in result.output
    assert db.session.scalar(select(func.count()).select_from(Response)) == 0


def test_an_unknown_consultation_is_refused(seeded, runner):
    result = runner.invoke(args=["demo-load", "--responses", "10", "--consultation", "nope"])

    assert result.exit_code != 0
    assert "There is no consultation 'nope'." in result.output
    assert db.session.scalar(select(func.count()).select_from(Response)) == 0


def test_a_consultation_not_open_yet_is_refused(seeded, runner):
    result = runner.invoke(
        args=["demo-load", "--responses", "10", "--consultation", "community-transport"]
    )

    assert result.exit_code != 0
    assert "has not opened yet" in result.output


@pytest.mark.parametrize("count", ["0", "-5", "many"])
def test_a_wrong_number_of_responses_is_a_usage_error(seeded, runner, count):
    result = runner.invoke(args=["demo-load", "--responses", count])

    assert result.exit_code == 2
    assert "Invalid value for '--responses'" in result.output
