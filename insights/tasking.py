"""How every Backlight task is declared: thin, safe to run twice, retried only when it helps.

A task takes ids, calls one service, and lets the service claim its run. Retries are kept for
errors that a second attempt can cure (a dropped database or broker connection), with backoff and
a cap; anything else fails the run once and is recorded on it.
"""

from celery import shared_task
from django.db import InterfaceError, OperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OperationalError,
    InterfaceError,
    RedisConnectionError,
    RedisTimeoutError,
    ConnectionError,
    TimeoutError,
)
MAX_RETRIES = 5


class Queue:
    DEFAULT = "default"
    INGEST = "ingest"
    NLP = "nlp"
    ML = "ml"


def backlight_task(*, queue: str, name: str | None = None, expires: int | None = None, **options):
    """`shared_task` with the house options: a named queue, late acks, re-delivery when the worker
    is lost, retries with exponential backoff capped at MAX_RETRIES on TRANSIENT_ERRORS only."""

    def decorator(func):
        return shared_task(
            name=name,
            queue=queue,
            acks_late=True,
            reject_on_worker_lost=True,
            autoretry_for=TRANSIENT_ERRORS,
            retry_backoff=2,
            retry_backoff_max=120,
            retry_jitter=True,
            max_retries=MAX_RETRIES,
            expires=expires,
            **options,
        )(func)

    return decorator
