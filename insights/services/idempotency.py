"""Idempotency keys: an API write sent twice with the same Idempotency-Key is done once.

The first request that claims (user, key) runs; its answer is stored with the sha256 of the
request body and the endpoint, and every later request with that key gets the stored answer back
without running again — or a refusal when it is not the same request.

The unique constraint on (user, key) decides races. The claim is an INSERT made in the same
transaction as the write itself, so on PostgreSQL a second request with the same key blocks on
that INSERT until the first one commits (then it reads the stored answer) or rolls back (then it
runs itself); on SQLite the request transactions are serialised anyway (IMMEDIATE mode).

Only answers are stored: a request that fails (validation error, server error) raises out of
`call`, its claim is rolled back with everything else, and the key stays free for a corrected
request — as Stripe does.
"""

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from insights.models import IdempotencyKey

# How long a key is worth keeping: clients retry within minutes, not days.
IDEMPOTENCY_KEY_TTL = dt.timedelta(hours=24)
KEY_MAX_LENGTH = IdempotencyKey._meta.get_field("key").max_length
# The claim row before the answer is known; never visible outside the claiming transaction.
_CLAIMED = 0


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: Any  # JSON-serialisable


@dataclass(frozen=True)
class IdempotentOutcome:
    response: StoredResponse
    replayed: bool


class IdempotencyKeyReused(Exception):
    """The key was used before for another request (other body or other endpoint)."""


class IdempotencyKeyBusy(Exception):
    """Another request with this key won the race but its answer cannot be read (it was purged
    meanwhile); the client should retry."""


def idempotency_request_sha256(*, body: Any) -> str:
    """The sha256 of the request body in canonical JSON: the same data sent with other spacing
    or key order is the same request."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def idempotent_call(
    *,
    user_id: int,
    key: str,
    endpoint: str,
    request_sha256: str,
    call: Callable[[], StoredResponse],
) -> IdempotentOutcome:
    """Run `call` once for (user, key) and store its answer; replay the stored answer for a
    repeat of the same request. Raises IdempotencyKeyReused for the same key with another
    request, IdempotencyKeyBusy in the rare case described there; anything `call` raises
    propagates and leaves the key unclaimed."""
    stored = _stored(user_id=user_id, key=key)
    if stored is not None:
        return _replay(stored, endpoint=endpoint, request_sha256=request_sha256)
    try:
        with transaction.atomic():
            claim = IdempotencyKey.objects.create(
                user_id=user_id,
                key=key,
                endpoint=endpoint,
                request_sha256=request_sha256,
                response_status=_CLAIMED,
                response_body={},
            )
            response = call()
            IdempotencyKey.objects.filter(pk=claim.pk).update(
                response_status=response.status, response_body=response.body
            )
    except IntegrityError:
        # A concurrent request with this key committed first (we waited for it on its row).
        stored = _stored(user_id=user_id, key=key)
        if stored is None:
            raise IdempotencyKeyBusy(key) from None
        return _replay(stored, endpoint=endpoint, request_sha256=request_sha256)
    return IdempotentOutcome(response=response, replayed=False)


def _stored(*, user_id: int, key: str) -> IdempotencyKey | None:
    return IdempotencyKey.objects.filter(user_id=user_id, key=key).first()


def _replay(stored: IdempotencyKey, *, endpoint: str, request_sha256: str) -> IdempotentOutcome:
    if stored.endpoint != endpoint or stored.request_sha256 != request_sha256:
        raise IdempotencyKeyReused(stored.key)
    return IdempotentOutcome(
        response=StoredResponse(status=stored.response_status, body=stored.response_body),
        replayed=True,
    )


def idempotency_keys_purge(*, older_than: dt.timedelta = IDEMPOTENCY_KEY_TTL) -> int:
    """Delete keys created more than `older_than` ago; returns how many. For a periodic task."""
    cutoff = timezone.now() - older_than
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
