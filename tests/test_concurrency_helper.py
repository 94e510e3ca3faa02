"""The race tests' helper: calls really run together, and a failure in a thread fails the test."""

import threading

import pytest

from tests.support.concurrency import at_once


def test_calls_run_at_the_same_time_and_results_come_in_order():
    # Each call waits for all three: run one after another, they would time out instead.
    together = threading.Barrier(3, timeout=10)

    def call(number: int):
        return lambda: (together.wait(), number)[1]

    assert at_once([call(0), call(1), call(2)]) == [0, 1, 2]


def test_what_a_call_raises_is_raised_in_the_test():
    with pytest.raises(ZeroDivisionError):
        at_once([lambda: 1, lambda: 1 / 0])


def test_a_call_still_running_at_the_timeout_fails_the_test():
    release = threading.Event()
    try:
        with pytest.raises(AssertionError, match="1 of 2 threads still running"):
            at_once([lambda: 1, lambda: release.wait(5)], timeout=0.5)
    finally:
        release.set()
