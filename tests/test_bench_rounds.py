"""How the benchmark turns repeated loads into a figure and a spread, and when it claims
that one load differs from another (bench/rounds.py): only beyond the spread."""

import statistics

from hypothesis import given
from hypothesis import strategies as st

from bench import rounds

rates = st.lists(st.floats(min_value=0.1, max_value=10_000), min_size=1, max_size=7)


@given(rates, st.lists(st.none(), max_size=2))
def test_a_spread_is_the_median_and_range_of_the_rounds_that_measured(values, missing):
    spread = rounds.spread(values + missing)
    assert spread["rounds"] == values + missing
    assert spread["median"] == statistics.median(values)
    assert (spread["min"], spread["max"]) == (min(values), max(values))
    assert spread["min"] <= spread["median"] <= spread["max"]


def test_a_spread_of_nothing_measured_has_no_figure():
    assert rounds.spread([None, None]) == {
        "rounds": [None, None],
        "median": None,
        "min": None,
        "max": None,
    }


@given(rates, rates)
def test_a_difference_is_claimed_only_when_the_ranges_do_not_overlap(first, second):
    compared = rounds.compare(first, second, [])
    assert compared["ratio_of_medians"] == statistics.median(first) / statistics.median(second)
    assert compared["ranges_overlap"] == rounds.compare(second, first, [])["ranges_overlap"]
    if max(first) < min(second):
        assert compared["verdict"].startswith("slower by ")
    elif min(first) > max(second):
        assert compared["verdict"].startswith("faster by ")
    else:
        assert compared["ranges_overlap"] is True
        assert compared["verdict"] == "no difference beyond the spread"


def test_the_verdict_gives_the_difference_of_the_medians():
    compared = rounds.compare([8, 9, 10], [19, 20, 25], [(8, 20), (9, 19), (10, 25)])
    assert compared["ratio_of_medians"] == 9 / 20
    assert compared["verdict"] == "slower by 55%"
    assert compared["paired_ratios"]["rounds"] == [8 / 20, 9 / 19, 10 / 25]
    assert rounds.compare([20, 30], [9, 12], [])["verdict"] == "faster by 138%"  # 25 / 10.5
    # One round inside the other's range is enough to claim nothing.
    assert rounds.compare([8, 9, 19], [19, 20, 25], [])["verdict"] == (
        "no difference beyond the spread"
    )


def test_a_load_that_measured_nothing_is_no_ground_for_a_ratio():
    compared = rounds.compare([5.0, 6.0], [0.0, 0.0], [(5.0, 0.0), (6.0, 0.0)])
    assert compared["ratio_of_medians"] is None
    assert compared["paired_ratios"]["median"] is None
    assert compared["verdict"] == "no comparison: the second measured nothing"
