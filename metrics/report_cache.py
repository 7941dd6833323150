"""The cache of whole report pages' data: built once per snapshot computation, shared by everyone.

Keys carry the snapshots' cache version (`metrics.selectors.snapshots_cache_version`), which every
snapshot computation bumps, so a report never outlives the figures it was built from; a short
timeout bounds what the version does not see (a pain-point analysis, a churn run).

Fifty people opening the report just after a computation must not build it fifty times: the first
takes a build lock (`cache.add` is atomic) and the others wait for its result, up to BUILD_WAIT
seconds, before building it themselves.
"""

import hashlib
import time
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache

from metrics.selectors import snapshots_cache_version

T = TypeVar("T")

REPORT_CACHE_SECONDS = 5 * 60
BUILD_LOCK_SECONDS = 60
BUILD_WAIT = 10.0
_POLL = 0.05


def report_cache_key(name: str, parts: tuple) -> str:
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    return f"metrics:reports:{snapshots_cache_version()}:{name}:{digest}"


def report_cached(
    name: str, parts: tuple, build: Callable[[], T], *, timeout: int = REPORT_CACHE_SECONDS
) -> T:
    """`build()`'s result, from the cache when another request built it for the same `parts`
    under the current snapshots version."""
    key = report_cache_key(name, parts)
    found = cache.get(key)
    if found is not None:
        return found
    lock = f"{key}:building"
    if cache.add(lock, 1, timeout=BUILD_LOCK_SECONDS):
        try:
            found = build()
            cache.set(key, found, timeout)
        finally:
            cache.delete(lock)
        return found
    deadline = time.monotonic() + BUILD_WAIT
    while time.monotonic() < deadline:
        time.sleep(_POLL)
        found = cache.get(key)
        if found is not None:
            return found
    # The builder is slow or died: better a late page than none.
    return build()
