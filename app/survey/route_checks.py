"""What the survey builder says about a survey's routing, in words: every route through
it, what is wrong with it, and which questions depend on an answer.

A pure module. It reads a survey in the consultation file's `survey` shape and judges
every route with app.survey.routing, the rules respondents are routed by, so that what
the builder says is what respondents get. It never raises on a broken survey: it says
less about one, and app.consultations.survey_schema.survey_problems says what is broken.

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

# Enough for a dozen yes/no screening questions; a pathological survey stops here
# instead of holding up a request, and the builder says the check is incomplete.
LIMIT = 4096
# Ways of answering looked at, counting part-way ones: bounds the work on a survey
# with many questions that each route a little.
WORK_LIMIT = 16 * LIMIT

YES_NO = ("yes", "no")
SCALE = ("1", "2", "3", "4", "5")
FREE_TEXT = ("text", "longtext", "email", "number")
CHOOSE = ("single", "multi")  # "chose" in words; the rest are "answered"

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


@dataclass(frozen=True)
class Page:
    """A page of the survey: its 1-based number and its title."""

    number: int
    title: str


@dataclass(frozen=True, eq=False)
class _Question:
    """A question as the checks see it: what routing reads, and what words name."""

    key: str
    page: int
    position: int  # on its page, from 1
    type: str
    prompt: str
    required: bool
    allow_other: bool
    options: tuple[str, ...]
    show_if: dict[str, list[str]]  # the conditions that can be read, as answers are stored

    @property
    def answers(self) -> tuple[str, ...] | None:
        """The answers it can be given, or None for free text (or an unknown type)."""
        if self.type in CHOOSE:
            return self.options
        return {"yesno": YES_NO, "scale": SCALE}.get(self.type)

    @property
    def name(self) -> str:
        """Its prompt in quotes, or where it is when it has none."""
        if self.prompt:
            return f"'{self.prompt}'"
        return f"question {self.position} on page {self.page}"

    def shown(self, value: str) -> str:
        """An answer as the respondent sees it, in quotes."""
        return _quoted(self.type, value)


@dataclass(frozen=True, eq=False)
class _Survey:
    pages: tuple[tuple[Page, tuple[_Question, ...]], ...]
    questions: tuple[_Question, ...]
    first: dict[str, int]  # key: where the first question with it is, the one conditions name

    def question(self, key: str) -> _Question | None:
        """The question a condition naming this key depends on, if any."""
        return self.questions[self.first[key]] if key in self.first else None

    def index(self, key: str) -> int:
        """Where the question a condition naming this key depends on comes, from 0."""
        return self.first[key]


# Reading a survey, however broken


def _option(value: Any) -> str | None:
    """An option as the file format stores it; None for what cannot be one."""
    if isinstance(value, bool):  # YAML's Yes and No
        return "Yes" if value else "No"
    if isinstance(value, int | float):
        return str(value)
    return value.strip() if isinstance(value, str) else None


def _answer(value: Any) -> str | None:
    """A value in a condition as answers are stored: yes/no answers are 'yes' and 'no'."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return _option(value)


def _show_if(raw: Any) -> dict[str, list[str]]:
    """The conditions that can be read; a broken one is left out (survey_problems has it)."""
    if not isinstance(raw, dict):
        return {}
    conditions = {}
    for name, values in raw.items():
        if isinstance(name, str) and isinstance(values, list):
            answers = [_answer(value) for value in values]
            conditions[name] = list(dict.fromkeys(a for a in answers if a is not None))
    return conditions


def _question(raw: dict[str, Any], page: int, position: int) -> _Question:
    key, kind, prompt = raw.get("key"), raw.get("type"), raw.get("prompt")
    options = raw.get("options")
    read = [_option(o) for o in options] if isinstance(options, list) else []
    return _Question(
        # A key no condition could name, for a question without one.
        key=key if isinstance(key, str) else f"\0{page}.{position}",
        page=page,
        position=position,
        type=kind if isinstance(kind, str) else "",
        prompt=prompt.strip() if isinstance(prompt, str) else "",
        required=raw.get("required") is True,
        allow_other=raw.get("allow_other") is True,
        options=tuple(dict.fromkeys(o for o in read if o is not None)),
        show_if=_show_if(raw.get("show_if")),
    )


def _read(survey: Any) -> _Survey:
    """The pages and questions that can be read from a survey in the file's shape."""
    raw_pages = survey.get("pages") if isinstance(survey, dict) else None
    pages = []
    for number, raw in enumerate(raw_pages if isinstance(raw_pages, list) else [], start=1):
        title = raw.get("title") if isinstance(raw, dict) else None
        items = raw.get("questions") if isinstance(raw, dict) else None
        questions = tuple(
            _question(item, number, position)
            for position, item in enumerate(items if isinstance(items, list) else [], start=1)
            if isinstance(item, dict)
        )
        pages.append((Page(number, title.strip() if isinstance(title, str) else ""), questions))
    questions = tuple(q for _, on_page in pages for q in on_page)
    first: dict[str, int] = {}
    for index, question in enumerate(questions):
        first.setdefault(question.key, index)
    return _Survey(tuple(pages), questions, first)


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


def _named(survey: _Survey) -> list[tuple[_Question, list[Group]]]:
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


def _other_typed(question: _Question) -> bool:
    """Whether the question offers "Other, please specify": an answer no condition names."""
    return question.allow_other and question.type in CHOOSE


def _must_answer_named(question: _Question, groups: list[Group]) -> bool:
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
    question: _Question, groups: list[Group], answers: dict[str, Any]
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


def _leaves(survey: _Survey) -> tuple[list[_Leaf], bool]:
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


@dataclass(frozen=True)
class Condition:
    """What the answer to one routing question is on a route.

    One answer: any of `picked`, or, with nothing picked, none of `refused`.
    Multiple choice: every one of `picked` chosen (with `either`, at least one of
    them), and none of `refused`.
    """

    key: str
    question: str  # the prompt in quotes, as words name it
    type: str
    picked: tuple[str, ...] = ()
    refused: tuple[str, ...] = ()
    either: bool = False

    def met_by(self, answer: Any) -> bool:
        """Whether an answer to the question, once asked, meets the condition."""
        given = routing._as_set(answer)  # as routing reads answers, lists and all
        if self.type == "multi":
            chosen = given & set(self.picked) if self.either else set(self.picked) <= given
            return bool(chosen) and not given & set(self.refused)
        if self.picked:
            return bool(given & set(self.picked))
        return not given & set(self.refused)

    @property
    def verb(self) -> str:
        """'answer', 'choose', 'do not answer' or 'do not choose'."""
        verb = "choose" if self.type == "multi" else "answer"
        return verb if self.picked else f"do not {verb}"

    def words(self, verb: bool = True) -> str:
        """The condition as a clause: "answer 'A' or 'B' to 'Q'", "choose 'A' but not 'B'
        for 'Q'" and the like (without `verb`, "'A' or 'B' to 'Q'")."""
        picked = [_quoted(self.type, value) for value in self.picked]
        refused = [_quoted(self.type, value) for value in self.refused]
        to = "for" if self.type == "multi" else "to"
        if picked:
            said = _or(picked) if self.either or self.type != "multi" else _and(picked)
            if refused:
                said += f" but not {_or(refused)}"
        else:
            said = _or(refused)
        said = f"{said} {to} {self.question}"
        return f"{self.verb} {said}" if verb else said


def _in_words(way: Sequence[Condition]) -> str:
    """Conditions joined, each verb said once: "answer 'A' to 'Q', 'Yes' to 'R' and ..."."""
    clauses, before = [], None
    for condition in way:
        # Two conditions on one question keep both verbs, or they read as one.
        said = before is None or before.verb != condition.verb or before.key == condition.key
        clauses.append(condition.words(verb=said))
        before = condition
    return _and(clauses)


def _merge(a: Condition, b: Condition, order: Sequence[str]) -> Condition | None:
    """One condition meaning either of two on the same question, if there is one."""
    if a.key != b.key or a.refused != b.refused or not (a.picked and b.picked):
        return None
    if a.type == "multi" and not all(len(c.picked) == 1 or c.either for c in (a, b)):
        return None  # "A and B, or C" is not one condition
    union = set(a.picked) | set(b.picked)
    picked = tuple(sorted(union, key=lambda v: order.index(v) if v in order else len(order)))
    return replace(a, picked=picked, either=a.type == "multi" and len(picked) > 1)


def _merged(survey: _Survey, ways: list[tuple[Condition, ...]]) -> list[tuple[Condition, ...]]:
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
        pages = _pages_in_words(self.numbers)
        if any(not way for way in self.ways):
            return f"Everyone sees {pages}."
        if self.for_the_rest:
            return f"Anyone else sees {pages}."
        ifs = ", or ".join(f"if you {_in_words(way)}" for way in self.ways)
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


def _conditions(survey: _Survey, cube: dict[Var, frozenset], index: _Index) -> tuple:
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


def _chosen(question: _Question, parts: list[tuple[Any, frozenset]]) -> list[Condition]:
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


def _one_answer(question: _Question, values: frozenset, groups: list[Group]) -> Condition:
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
    read = _read(survey)
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


def _condition_problems(survey: _Survey, index: int) -> Iterator[str]:
    """What is wrong with the conditions of one question, in words."""
    question = survey.questions[index]
    this = _capital(question.name)
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
                    f"{this} depends on the {answers} {_and(missing)} to {target.name},"
                    " which that question does not offer."
                )


def _reach_problems(survey: _Survey, leaves: list[_Leaf], quiet: set[str]) -> list:
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
            found.append(RouteProblem(f"{_capital(where)} has no questions.", page=page.number))
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


def _hidden(question: _Question) -> str:
    if question.required:
        return f"{_capital(question.name)} is required, but no route shows it."
    return f"No route shows {question.name}."


def problems(survey: Any) -> list[RouteProblem]:
    """What is wrong with the survey's routing, in words; empty for a sound survey."""
    read = _read(survey)
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


# What depends on a question


@dataclass(frozen=True)
class Dependant:
    """A question shown only for some answers to another: `answers`, the ones that show it."""

    key: str
    prompt: str
    page: int
    answers: tuple[str, ...]


def dependants(survey: Any, key: str, option: str | None = None) -> list[Dependant]:
    """The questions whose conditions name question `key` (and, with `option`, that answer)."""
    wanted = _answer(option) if option is not None else None
    found = []
    for question in _read(survey).questions:
        values = question.show_if.get(key)
        if values is not None and (wanted is None or wanted in values):
            found.append(Dependant(question.key, question.prompt, question.page, tuple(values)))
    return found


def dependants_in_words(survey: Any, key: str, option: str | None = None) -> str:
    """Which questions are shown only for answers to `key`, to say before it changes.

    For example: "'Why?' and 'How often?' are shown only to people who chose 'A' for
    'Which describes you?'." Empty when nothing depends on it.
    """
    read = _read(survey)
    target = read.question(key)
    if target is None:
        return ""
    by_answers: dict[tuple[str, ...], list[str]] = {}
    for dependant in dependants(survey, key, option):
        question = next(q for q in read.questions if q.key == dependant.key)
        by_answers.setdefault(dependant.answers, []).append(question.name)
    sentences = []
    for answers, names in by_answers.items():
        shown = _or([target.shown(value) for value in answers]) if answers else "no answer"
        verb = "are" if len(names) > 1 else "is"
        did = f"chose {shown} for" if target.type in CHOOSE else f"answered {shown} to"
        sentences.append(
            f"{_capital(_and(names))} {verb} shown only to people who {did} {target.name}."
        )
    return " ".join(sentences)


# Words


def _quoted(kind: str, value: str) -> str:
    return f"'{value.capitalize()}'" if kind == "yesno" else f"'{value}'"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _joined(items: Sequence[str], word: str) -> str:
    """'a', 'a and b', 'a, b and c' (or with 'or')."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {word} {items[-1]}"


def _and(items: Sequence[str]) -> str:
    return _joined(items, "and")


def _or(items: Sequence[str]) -> str:
    return _joined(items, "or")


def _pages_in_words(numbers: Sequence[int]) -> str:
    """'page 2', 'pages 1, 2 and 4', 'pages 1 to 3 and 5'; 'no pages' for none."""
    if not numbers:
        return "no pages"
    if len(numbers) == 1:
        return f"page {numbers[0]}"
    runs: list[list[int]] = []
    for number in numbers:
        if runs and number == runs[-1][-1] + 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    parts: list[str] = []
    for run in runs:
        # Two pages in a row read better listed: "pages 1, 2 and 4".
        parts.extend([f"{run[0]} to {run[-1]}"] if len(run) > 2 else [str(n) for n in run])
    return f"pages {_and(parts)}"
