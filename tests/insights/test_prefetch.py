import threading
import time

import pytest

from insights.prefetch import prefetched


def test_items_arrive_in_order_and_all_of_them():
    assert list(prefetched(iter(range(50)))) == list(range(50))


def test_the_producer_runs_in_another_thread_one_step_ahead():
    # Given a producer that records which thread made each item and when
    made = []

    def produce():
        for number in range(10):
            made.append((number, threading.current_thread().name))
            yield number

    # When the consumer takes the first item and waits a little
    items = prefetched(produce(), depth=1)
    first = next(items)
    time.sleep(0.3)

    # Then the next items were made meanwhile, in the background thread, and no further: the one
    # taken, the one waiting in the queue, the one blocked on the full queue
    assert first == 0
    assert [number for number, _ in made] == [0, 1, 2]
    assert {name for _, name in made} == {"backlight-prefetch"}
    assert list(items) == list(range(1, 10))


def test_an_error_of_the_producer_is_raised_in_its_place():
    def produce():
        yield 1
        yield 2
        raise ValueError("row 3 is broken")

    items = prefetched(produce())

    assert next(items) == 1
    assert next(items) == 2
    with pytest.raises(ValueError, match="row 3 is broken"):
        next(items)


def test_closing_early_stops_the_producer_and_closes_its_source():
    # Given an endless producer that notes when it is closed
    closed = threading.Event()

    def produce():
        try:
            number = 0
            while True:
                yield number
                number += 1
        finally:
            closed.set()

    # When the consumer stops after two items
    items = prefetched(produce())
    assert [next(items), next(items)] == [0, 1]
    items.close()

    # Then the producer's thread has ended and its source was closed
    assert closed.is_set()
    assert not any(thread.name == "backlight-prefetch" for thread in threading.enumerate())


def test_an_error_in_the_consumer_stops_the_producer():
    def consume():
        for number in prefetched(iter(range(10_000))):
            if number == 5:
                raise RuntimeError("database gone")

    with pytest.raises(RuntimeError, match="database gone"):
        consume()
    assert not any(thread.name == "backlight-prefetch" for thread in threading.enumerate())
