"""What changed between two versions of a response: the pure rule the receipts, the
officer's alert and the admin's list of versions all use."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.intake.versions import DOCUMENTS, Change, differences, with_documents


def test_each_row_that_reads_differently_is_a_change_in_the_order_read():
    before = [("Name", "Ada"), ("Evidence", "Late payments"), ("Themes", "Trends")]
    after = [("Name", "Ada Jones"), ("Evidence", "Late payments"), ("Organisation", "Trust")]

    assert differences(before, after) == [
        Change("Name", "Ada", "Ada Jones"),
        Change("Organisation", "", "Trust"),
        Change("Themes", "Trends", ""),
    ]


def test_two_rows_with_one_label_are_compared_in_their_places():
    before = [("Why?", "First"), ("Why?", "Second")]
    after = [("Why?", "First"), ("Why?", "Changed")]

    assert differences(before, after) == [Change("Why?", "Second", "Changed")]


def test_a_question_left_unanswered_on_either_route_is_no_change():
    before = [("Which describes you?", "A council officer"), ("What stops you?", "Not answered")]
    after = [("Which describes you?", "A charity"), ("Has it delivered?", "Not answered")]

    assert differences(before, after) == [
        Change("Which describes you?", "A council officer", "A charity")
    ]


def test_documents_are_one_row_when_there_are_any():
    assert with_documents([("Name", "Ada")], []) == [("Name", "Ada")]
    assert with_documents([("Name", "Ada")], ["a.pdf", "b.txt"]) == [
        ("Name", "Ada"),
        (DOCUMENTS, "a.pdf; b.txt"),
    ]


LABELS = ["Name", "Why?", "Themes", "Documents"]
VALUES = st.sampled_from(["", "Not answered", "Not given", "Ada", "Trends", " x "])
rows = st.dictionaries(st.sampled_from(LABELS), VALUES, max_size=4).map(
    lambda by_label: list(by_label.items())
)


@given(rows)
def test_a_version_compared_with_itself_has_no_change(same):
    assert differences(same, same) == []


@given(rows, rows)
def test_the_changes_are_exactly_the_rows_that_say_something_different(before, after):
    said_before, said_after = dict(before), dict(after)

    def said(by_label, label):
        value = by_label.get(label, "")
        return "" if value.strip() in ("", "Not answered", "Not given") else value

    found = differences(before, after)

    assert {change.label for change in found} == {
        label for label in LABELS if said(said_before, label) != said(said_after, label)
    }
    for change in found:
        assert (change.before, change.after) == (
            said_before.get(change.label, ""),
            said_after.get(change.label, ""),
        )
