"""Pure rules for routing a respondent through a survey.

A question applies when every key in its show_if has an answer among the listed
values. Answers are only kept for questions that apply, judged in order, so an
answer to a question the route left out is never stored, even when posted, and
changing a screening answer drops the answers that no longer apply.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol


class QuestionLike(Protocol):
    key: str
    page: int
    type: str
    show_if: dict[str, list[str]]


def answer_set(answer: Any) -> set[str]:
    """An answer as the set of values a condition is matched against: none, one or several."""
    if answer is None or answer == "":
        return set()
    if isinstance(answer, list):
        return {str(item) for item in answer}
    return {str(answer)}


def applies(question: QuestionLike, answers: Mapping[str, Any]) -> bool:
    """Whether the question's show_if matches the answers given so far."""
    if not question.show_if:  # most questions: asked of everyone
        return True
    return all(
        answer_set(answers.get(key)) & set(values) for key, values in question.show_if.items()
    )


def kept_answers(questions: Sequence[QuestionLike], answers: Mapping[str, Any]) -> dict[str, Any]:
    """The answers to questions that apply on the route they make, in question order."""
    kept: dict[str, Any] = {}
    for question in questions:
        if question.key in answers and applies(question, kept):
            kept[question.key] = answers[question.key]
    return kept


def route(questions: Sequence[QuestionLike], answers: Mapping[str, Any]) -> list[int]:
    """The page numbers the respondent sees, in order: pages with a question that applies."""
    return _pages(questions, kept_answers(questions, answers))


def _pages(questions: Sequence[QuestionLike], kept: Mapping[str, Any]) -> list[int]:
    """The route the kept answers make."""
    pages: list[int] = []
    for question in questions:
        if question.page not in pages and applies(question, kept):
            pages.append(question.page)
    return pages


def follow_up_of(question: QuestionLike, page_keys: set[str]) -> dict[str, list[str]]:
    """The part of a question's show_if that names questions on its own page.

    Such a question is a follow-up: it is shown on the page with a note saying when to
    answer it (and revealed by script when it applies), and its answer is only kept
    when the page's own answers make it apply.
    """
    return {key: values for key, values in (question.show_if or {}).items() if key in page_keys}


def questions_on(
    questions: Iterable[QuestionLike], page: int, answers: Mapping[str, Any]
) -> list[QuestionLike]:
    """The questions of one page to show: those whose conditions on earlier pages hold,
    and follow-ups only when the question they follow is shown."""
    on_page = [q for q in questions if q.page == page]
    keys = {q.key for q in on_page}
    shown: list[QuestionLike] = []
    for question in on_page:
        conditions = (question.show_if or {}).items()
        if all(
            key in {q.key for q in shown}
            if key in keys
            else answer_set(answers.get(key)) & set(values)
            for key, values in conditions
        ):
            shown.append(question)
    return shown


def next_page(pages: Sequence[int], page: int) -> int | None:
    """The page after `page` on the route, or None when it was the last."""
    later = [p for p in pages if p > page]
    return later[0] if later else None


def previous_page(pages: Sequence[int], page: int) -> int | None:
    """The page before `page` on the route, or None when it is the first."""
    earlier = [p for p in pages if p < page]
    return earlier[-1] if earlier else None


def first_unanswered(
    questions: Sequence[QuestionLike], answers: Mapping[str, Any], visited: Iterable[int]
) -> int | None:
    """The first page on the route not yet sent, or lacking a required answer: where
    someone returning carries on, and what stops a response being sent unfinished."""
    seen = set(visited)
    kept = kept_answers(questions, answers)
    for page in _pages(questions, kept):
        if page not in seen or any(
            getattr(q, "required", False) and q.key not in kept
            for q in questions
            if q.page == page and applies(q, kept)
        ):
            return page
    return None


def export_row(questions: Sequence[QuestionLike], answers: Mapping[str, Any]) -> dict[str, str]:
    """One text value per question key, in question order, whatever route was taken.

    A question the route skipped is an empty cell; a multiple choice answer is its
    choices joined with "; ".
    """
    kept = kept_answers(questions, answers)
    return {q.key: format_answer(kept.get(q.key)) for q in questions}


def format_answer(answer: Any) -> str:
    """An answer as text, for emails, the check-answers page and exports."""
    if answer is None:
        return ""
    if isinstance(answer, list):
        return "; ".join(str(item) for item in answer)
    if isinstance(answer, float) and answer.is_integer():
        return str(int(answer))
    return str(answer)
