"""`prefetched`: run a producer one step ahead of its consumer, in a background thread.

An import is two kinds of work per chunk: Python work (read, normalise, hash, serialise) and
database work (COPY, commit). Run one after the other they add up; run in two threads they
overlap, because the database thread waits on PostgreSQL's socket without holding the GIL. The
producer must not touch the database: Django's connections belong to the thread that opened them,
and the consumer's transaction (and a test's) must see every write.
"""

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

_POLL_SECONDS = 0.1
_END = object()


def prefetched(items: Iterable[T], *, depth: int = 1) -> Iterator[T]:
    """Yield what `items` yields, each item computed while the caller handles the one before
    (at most `depth` waiting). An exception raised by `items` is raised here, in its place in
    the sequence. Closing the iterator early (an exception in the caller, a `break`) stops the
    producer and waits for it, so nothing runs on after the caller has moved on."""
    handoff: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def offer(entry: tuple) -> bool:
        while not stop.is_set():
            try:
                handoff.put(entry, timeout=_POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        iterator = iter(items)
        try:
            for item in iterator:
                if not offer((item, None)):
                    return
            offer((_END, None))
        except BaseException as error:  # handed to the consumer, which raises it
            offer((_END, error))
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=produce, name="backlight-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item, error = handoff.get()
            if item is _END:
                if error is not None:
                    raise error
                return
            yield item
    finally:
        stop.set()
        thread.join()
