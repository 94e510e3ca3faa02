"""What a respondent changed between two versions of their response: a pure rule on the
rows their receipts listed."""

from __future__ import annotations

from dataclasses import dataclass

Rows = list[tuple[str, str]]
DOCUMENTS = "Documents"


@dataclass(frozen=True)
class Change:
    """One row that reads differently: its label, before and after ("" when absent)."""

    label: str
    before: str
    after: str


def with_documents(rows: Rows, documents: list[str]) -> Rows:
    """The rows, and the documents' names as one more row when there are any."""
    return [*rows, (DOCUMENTS, "; ".join(documents))] if documents else list(rows)


def differences(before: Rows, after: Rows) -> list[Change]:
    """Each row whose value changed, was added or was removed, in the order read.

    Rows are matched by label, and a label used more than once by its place among
    those, so two questions worded alike are still compared one with one.
    """
    old, new = _keyed(before), _keyed(after)
    order = list(new) + [key for key in old if key not in new]
    return [
        Change(key[0], old.get(key, ""), new.get(key, ""))
        for key in order
        if _said(old.get(key, "")) != _said(new.get(key, ""))
    ]


# How rows say that nothing was given. A question the new route asks but that was left
# unanswered, or one the old route asked unanswered, is no change.
NOTHING = frozenset({"", "Not answered", "Not given"})


def _said(value: str) -> str:
    return "" if value.strip() in NOTHING else value


def _keyed(rows: Rows) -> dict[tuple[str, int], str]:
    seen: dict[str, int] = {}
    keyed = {}
    for label, value in rows:
        seen[label] = seen.get(label, 0) + 1
        keyed[(label, seen[label])] = value
    return keyed
