"""Running calls at the same moment from several threads, for the race tests."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import TypeVar

T = TypeVar("T")


def at_once(
    calls: Sequence[Callable[[], T]],
    *,
    context: Callable[[], AbstractContextManager] = nullcontext,
    timeout: float = 60,
) -> list[T]:
    """Run each call in its own thread, all released together; their results in order.

    Each thread enters `context()` (an app context, say) before it waits for the others.
    Raises what a call raised, and fails if a thread has not finished within `timeout` s.
    """
    start = threading.Barrier(len(calls), timeout=timeout)
    results: list = [None] * len(calls)
    errors: list[BaseException] = []

    def run(index: int, call: Callable[[], T]) -> None:
        try:
            with context():
                start.wait()
                results[index] = call()
        except BaseException as error:  # noqa: BLE001 (raised again below)
            errors.append(error)

    threads = [threading.Thread(target=run, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    running = sum(thread.is_alive() for thread in threads)
    assert not running, f"{running} of {len(threads)} threads still running after {timeout} s"
    if errors:
        raise errors[0]
    return results
