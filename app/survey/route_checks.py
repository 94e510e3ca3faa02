"""What the survey builder says about a survey's routing: every route through it, in
words, and what is wrong with it.

A pure module. It reads a survey in the consultation file's `survey` shape
(app.survey.route_survey) and judges every route with app.survey.routing, the rules
respondents are routed by, so that what the builder says is what respondents get. It
never raises on a broken survey: it says less about one, and
app.consultations.survey_schema.survey_problems says what is broken. The words it says
routes in are app.survey.route_words's; which questions depend on an answer is
route_survey's to say.

Routes are found by answering the routing questions (those a condition names) in every
way routing can tell apart: each answer a condition names, and "any other answer or
none"; for multiple choice, each named option chosen or not. Answers that every
condition lists together count as one. Ways that lead to the same pages make one route,
described by the fewest conditions that are still exact.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from itertools import combinations, islice, product
from typing import Any

from app.survey import routing
from app.survey.route_survey import (
    CHOOSE,
    FREE_TEXT,
    Page,
    ReadQuestion,
    ReadSurvey,
    read_survey,
)
from app.survey.route_words import Condition, and_joined, capital, pages_in_words, way_in_words

# Enough for a dozen yes/no screening questions; a pathological survey stops here
# instead of holding up a request, and the builder says the check is incomplete.
LIMIT = 4096
# Ways of answering looked at, counting part-way ones: bounds the work on a survey
# with many questions that each route a little.
WORK_LIMIT = 16 * LIMIT

# The answer to a one-answer question that no condition names, or none at all.
OTHER = None
# A question the route so far does not ask: its answer is not stored, so not given.
_NOT_ASKED = object()

TOO_MANY_TO_LIST = (
    f"This survey has more than {LIMIT:,} ways through it, too many to list."
    f" These are the routes of the first {LIMIT:,}; there may be others."
)
TOO_MANY_TO_CHECK = (
    f"This survey has more than {LIMIT:,} ways through it, too many to check, so pages"
    " nobody can reach and questions no route shows are not looked for."
    " Fewer conditions would let every route be checked."
)


# Every way through


Group = tuple[str, ...]  # answers that every condition names together, or none does
# (key, None) for a one-answer question, whose value is a Group or OTHER; (key, a Group)
# for multiple choice, whose value is whether any of the group is chosen.
Var = tuple[str, Group | None]


@dataclass(frozen=True, eq=False)
class _Leaf:
    """One way of answering the routing questions, and the pages it leads to."""

    picks: tuple[tuple[Var, Any], ...]
    answers: dict[str, Any]
    pages: tuple[int, ...]


def _named(survey: ReadSurvey) -> list[tuple[ReadQuestion, list[Group]]]:
    """The routing questions in order, each with the answers conditions name, grouped.

    Answers that every condition on the question lists together, or none does, are one
    group: routing cannot tell them apart, so one of them stands for all. A condition on
    a later question is left out: routing judges in order, so such a question's answer
    never decides anything.
    """
    listed: dict[str, list[list[str]]] = {}
    for index, question in enumerate(survey.questions):
        for name, values in question.show_if.items():
            if name in survey.first and survey.index(name) < index:
                listed.setdefault(name, []).append(values)
    routing_questions = []
    for key, lists in listed.items():
        question = survey.question(key)
        named = list(dict.fromkeys(value for values in lists for value in values))
        if question.answers is not None:  # a value it does not offer is never given
            named = [value for value in question.answers if value in named]
        groups: dict[tuple[bool, ...], list[str]] = {}
        for value in named:
            groups.setdefault(tuple(value in values for values in lists), []).append(value)
        routing_questions.append((question, [tuple(group) for group in groups.values()]))
    return sorted(routing_questions, key=lambda pair: survey.index(pair[0].key))


def _other_typed(question: ReadQuestion) -> bool:
    """Whether the question offers "Other, please specify": an answer no condition names."""
    return question.allow_other and question.type in CHOOSE


def _must_answer_named(question: ReadQuestion, groups: list[Group]) -> bool:
    """Whether someone asked this question must give one of the named answers: it is
    required and every answer it offers is named (with no "Other" to type)."""
    offered = question.answers
    return (
        question.required
        and offered is not None
        and not _other_typed(question)
        and set(offered) <= {value for group in groups for value in group}
    )


def _branches(
    question: ReadQuestion, groups: list[Group], answers: dict[str, Any]
) -> list[tuple[Any, tuple[tuple[Var, Any], ...]]]:
    """(answer, picks) for each way of answering that routing can tell apart."""
    # The answers so far are only to questions that applied, in order: what
    # routing.kept_answers would keep, so applies() may read them as they are.
    if not routing.applies(question, answers):
        return [(_NOT_ASKED, ())]
    must = _must_answer_named(question, groups)
    if question.type == "multi":
        ways = []
        # Past LIMIT ways the enumeration stops anyway: never make 2 ** 30 of them.
        for chosen in islice(product((True, False), repeat=len(groups)), LIMIT + 1):
            if must and not any(chosen):
                continue
            pairs = list(zip(groups, chosen, strict=True))
            answer = [group[0] for group, on in pairs if on]
            ways.append((answer, tuple(((question.key, group), on) for group, on in pairs)))
        return ways
    ways = [(group[0], (((question.key, None), group),)) for group in groups]
    if not must:
        ways.append((OTHER, (((question.key, None), OTHER),)))
    return ways


def _leaves(survey: ReadSurvey) -> tuple[list[_Leaf], bool]:
    """Every way through the survey, in order, and whether that is all of them."""
    named = _named(survey)
    leaves: list[_Leaf] = []
    stack: list[tuple[int, dict[str, Any], tuple]] = [(0, {}, ())]
    work = 0
    while stack:
        work += 1
        if work > WORK_LIMIT:
            return leaves, False
        index, answers, picks = stack.pop()
        if index == len(named):
            if len(leaves) == LIMIT:
                return leaves, False
            pages = tuple(routing.route(survey.questions, answers))
            leaves.append(_Leaf(picks, answers, pages))
            continue
        question, values = named[index]
        for answer, more in reversed(_branches(question, values, answers)):
            given = answers if answer is _NOT_ASKED else {**answers, question.key: answer}
            stack.append((index + 1, given, picks + more))
    return leaves, True


# Routes, and the fewest exact conditions for each


def _merge(a: Condition, b: Condition, order: Sequence[str]) -> Condition | None:
    """One condition meaning either of two on the same question, if there is one."""
    if a.key != b.key or a.refused != b.refused or not (a.picked and b.picked):
        return None
    if a.type == "multi" and not all(len(c.picked) == 1 or c.either for c in (a, b)):
        return None  # "A and B, or C" is not one condition
    union = set(a.picked) | set(b.picked)
    picked = tuple(sorted(union, key=lambda v: order.index(v) if v in order else len(order)))
    return replace(a, picked=picked, either=a.type == "multi" and len(picked) > 1)


def _merged(survey: ReadSurvey, ways: list[tuple[Condition, ...]]) -> list[tuple[Condition, ...]]:
    """Ways that differ in one condition, made one: "'A' or 'B'" rather than two ways."""
    ways = list(ways)
    merging = len(ways) <= 64  # a pathological route is left as it is, to stay quick
    while merging:
        merging = False
        for i, j in combinations(range(len(ways)), 2):
            a, b = ways[i], ways[j]
            if [c.key for c in a] != [c.key for c in b]:
                continue
            differ = [n for n in range(len(a)) if a[n] != b[n]]
            if len(differ) != 1:
                continue
            n = differ[0]
            order = survey.question(a[n].key).answers or ()
            one = _merge(a[n], b[n], order)
            if one is not None:
                ways[i] = (*a[:n], one, *a[n + 1 :])
                del ways[j]
                merging = True
                break
    return ways


@dataclass(frozen=True)
class Route:
    """Pages some respondents see, and the answers that lead there.

    `ways`: any one of them leads here, each a set of conditions that must all hold;
    one with no conditions means everyone. `for_the_rest`: the route of everyone whom
    the survey's other routes do not describe.
    """

    pages: tuple[Page, ...]
    ways: tuple[tuple[Condition, ...], ...]
    for_the_rest: bool = False

    @property
    def numbers(self) -> list[int]:
        """The numbers of its pages, as routing.route gives them."""
        return [page.number for page in self.pages]

    def sentence(self) -> str:
        """The route in one plain sentence."""
        pages = pages_in_words(self.numbers)
        if any(not way for way in self.ways):
            return f"Everyone sees {pages}."
        if self.for_the_rest:
            return f"Anyone else sees {pages}."
        ifs = ", or ".join(f"if you {way_in_words(way)}" for way in self.ways)
        if len(self.ways) == 1:
            return f"{ifs[0].upper()}{ifs[1:]}, you see {pages}."
        return f"You see {pages} {ifs}."


@dataclass(frozen=True)
class RouteMap:
    """Every route through a survey, and whether every way through it was checked."""

    routes: tuple[Route, ...]
    complete: bool

    def sentences(self) -> list[str]:
        """The routes in words, with a warning first when the survey was too big to check."""
        said = [route.sentence() for route in self.routes]
        return said if self.complete else [TOO_MANY_TO_LIST, *said]


class _Index:
    """Which leaves give which answer, as bit masks, to test conditions quickly."""

    def __init__(self, leaves: Sequence[_Leaf]) -> None:
        self.by_answer: dict[tuple[Var, Any], int] = {}
        self.domain: dict[Var, list[Any]] = {}
        for number, leaf in enumerate(leaves):
            for var, value in leaf.picks:
                self.by_answer[var, value] = self.by_answer.get((var, value), 0) | 1 << number
                values = self.domain.setdefault(var, [])
                if value not in values:
                    values.append(value)
        self.everything = (1 << len(leaves)) - 1

    def matching(self, cube: dict[Var, frozenset]) -> int:
        """The leaves that ask every question in the cube and give one of its answers."""
        mask = self.everything
        for var, values in cube.items():
            either = 0
            for value in values:
                either |= self.by_answer.get((var, value), 0)
            mask &= either
        return mask


def _widest(leaf: _Leaf, index: _Index, route: int) -> dict[Var, frozenset]:
    """The fewest, widest conditions that include this leaf and lead only to its route."""
    cube = {var: frozenset([value]) for var, value in leaf.picks}

    def exact(trial: dict[Var, frozenset]) -> bool:
        return not index.matching(trial) & ~route

    # Later answers first: the screening questions that open a survey read best.
    for var, _ in reversed(leaf.picks):
        trial = {k: v for k, v in cube.items() if k != var}
        if exact(trial):
            cube = trial
    for var in list(cube):
        for value in index.domain[var]:
            wider = cube[var] | {value}
            # Every answer is no condition at all; leaving it out was tried above.
            if value not in cube[var] and len(wider) < len(index.domain[var]):
                if exact({**cube, var: wider}):
                    cube = {**cube, var: wider}
    return cube


def _ways(leaves: Sequence[_Leaf], index: _Index, members: list[int]) -> list[dict]:
    """Conditions that together describe exactly the leaves of one route."""
    route = 0
    for number in members:
        route |= 1 << number
    cubes: list[tuple[dict, int]] = []
    covered = 0
    for number in members:
        if not covered >> number & 1:
            cube = _widest(leaves[number], index, route)
            mask = index.matching(cube)
            cubes.append((cube, mask))
            covered |= mask
    # A way that others already cover says nothing more.
    kept = list(cubes)
    for item in cubes:
        others = 0
        for other in kept:
            if other is not item:
                others |= other[1]
        if not item[1] & ~others:
            kept.remove(item)
    return [cube for cube, _ in kept]


def _conditions(survey: ReadSurvey, cube: dict[Var, frozenset], index: _Index) -> tuple:
    """A cube of answers as Conditions, in question order."""
    by_key: dict[str, list[tuple[Group | None, frozenset]]] = {}
    for (key, group), values in cube.items():
        by_key.setdefault(key, []).append((group, values))
    conditions: list[Condition] = []
    for key, parts in by_key.items():
        question = survey.question(key)
        if question.type == "multi":
            conditions.extend(_chosen(question, parts))
        else:
            ((_, values),) = parts
            groups = [group for group in index.domain[key, None] if group is not OTHER]
            conditions.append(_one_answer(question, values, groups))
    return tuple(conditions)


def _chosen(question: ReadQuestion, parts: list[tuple[Any, frozenset]]) -> list[Condition]:
    """Conditions on a multiple choice question: groups of options chosen, or not."""
    picked = [group for group, values in parts if True in values]
    refused = tuple(option for group, values in parts if False in values for option in group)
    key, name = question.key, question.name
    if len(picked) <= 1 or all(len(group) == 1 for group in picked):
        chosen = tuple(option for group in picked for option in group)
        return [Condition(key, name, "multi", chosen, refused, len(picked) == 1)]
    # "'A' or 'B', and 'C'" does not read as one condition: one for each group.
    first, *others = picked
    return [
        Condition(key, name, "multi", first, refused, True),
        *(Condition(key, name, "multi", group, (), True) for group in others),
    ]


def _one_answer(question: ReadQuestion, values: frozenset, groups: list[Group]) -> Condition:
    """A condition on a one-answer question, naming what is given where that is known."""
    named = [value for group in groups for value in group]
    picked = [value for group in groups if group in values for value in group]
    if OTHER not in values:
        return Condition(question.key, question.name, question.type, tuple(picked))
    offered = question.answers
    if question.required and offered is not None and not _other_typed(question):
        # Someone asked must answer, so "not 'Yes'" is "'No'": say the answers themselves.
        picked += [value for value in offered if value not in named]
        kept = tuple(value for value in offered if value in picked)
        return Condition(question.key, question.name, question.type, kept)
    refused = tuple(value for value in named if value not in picked)
    return Condition(question.key, question.name, question.type, (), refused)


def route_map(survey: Any) -> RouteMap:
    """Every distinct route through the survey, with the answers that lead to each."""
    read = read_survey(survey)
    if not read.questions:
        return RouteMap((), True)
    leaves, complete = _leaves(read)
    by_pages: dict[tuple[int, ...], list[int]] = {}
    for number, leaf in enumerate(leaves):
        by_pages.setdefault(leaf.pages, []).append(number)
    index = _Index(leaves)
    titles = {page.number: page for page, _ in read.pages}
    # Nothing named answered anywhere: the respondents that no condition picks out.
    rest = next(
        (leaf.pages for leaf in leaves if all(v is OTHER or v is False for _, v in leaf.picks)),
        None,
    )
    found = []
    for pages, members in by_pages.items():
        cubes = _ways(leaves, index, members)
        ways = tuple(_merged(read, [_conditions(read, cube, index) for cube in cubes]))
        for_the_rest = complete and pages == rest and len(by_pages) > 1
        found.append(Route(tuple(titles[n] for n in pages), ways, for_the_rest))
    found.sort(key=lambda route: route.for_the_rest)  # stable: the rest comes last
    return RouteMap(tuple(found), complete)


def routes(survey: Any) -> list[Route]:
    """Every distinct route through the survey (see route_map for whether that is all)."""
    return list(route_map(survey).routes)


# What is wrong


@dataclass(frozen=True)
class RouteProblem:
    """Something wrong with the survey's routing, in words, and what it is about: a
    question (its key and page) or a page (its number)."""

    message: str
    key: str | None = None
    page: int | None = None


def _condition_problems(survey: ReadSurvey, index: int) -> Iterator[str]:
    """What is wrong with the conditions of one question, in words."""
    question = survey.questions[index]
    this = capital(question.name)
    for name, values in question.show_if.items():
        target = survey.question(name)
        if target is None:
            yield (
                f"{this} depends on a question that is no longer in the survey."
                " Change or remove its condition."
            )
        elif target is question:
            yield f"{this} depends on its own answer. Change or remove its condition."
        elif survey.index(name) > index:
            yield (
                f"{this} depends on {target.name}, which comes after it."
                " A question can only depend on one before it."
            )
        elif target.answers is None:
            if target.type in FREE_TEXT:
                yield (
                    f"{this} depends on the answer to {target.name}, which people type in."
                    " Only a choice, yes or no, or scale question can decide who sees another."
                )
        else:
            missing = [target.shown(value) for value in values if value not in target.answers]
            if missing:
                answers = "answer" if len(missing) == 1 else "answers"
                yield (
                    f"{this} depends on the {answers} {and_joined(missing)} to {target.name},"
                    " which that question does not offer."
                )


def _reach_problems(survey: ReadSurvey, leaves: list[_Leaf], quiet: set[str]) -> list:
    """Pages nobody reaches and questions no route shows (except those in `quiet`)."""
    reached = {number for leaf in leaves for number in leaf.pages}
    asked: set[str] = set()
    for leaf in leaves:
        kept = routing.kept_answers(survey.questions, leaf.answers)
        asked.update(q.key for q in survey.questions if routing.applies(q, kept))
    found = []
    for page, questions in survey.pages:
        where = f"page {page.number}, '{page.title}'," if page.title else f"page {page.number}"
        if not questions:
            found.append(RouteProblem(f"{capital(where)} has no questions.", page=page.number))
        elif page.number not in reached:
            found.append(
                RouteProblem(
                    f"Nobody can reach {where.rstrip(',')}: no route shows any of its questions.",
                    page=page.number,
                )
            )
        else:
            found.extend(
                RouteProblem(_hidden(q), key=q.key, page=q.page)
                for q in questions
                if q.key not in asked and q.key not in quiet
            )
    return found


def _hidden(question: ReadQuestion) -> str:
    if question.required:
        return f"{capital(question.name)} is required, but no route shows it."
    return f"No route shows {question.name}."


def problems(survey: Any) -> list[RouteProblem]:
    """What is wrong with the survey's routing, in words; empty for a sound survey."""
    read = read_survey(survey)
    found = []
    quiet = set()  # a question whose condition is wrong: that is what hides it
    for index, question in enumerate(read.questions):
        for message in _condition_problems(read, index):
            found.append(RouteProblem(message, key=question.key, page=question.page))
            quiet.add(question.key)
    leaves, complete = _leaves(read)
    if not complete:
        return [RouteProblem(TOO_MANY_TO_CHECK), *found]
    return [*found, *_reach_problems(read, leaves, quiet)]
