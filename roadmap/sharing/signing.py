"""Signing webhook payloads.

X-Backlight-Timestamp is the Unix time of the attempt; X-Backlight-Signature is "sha256=" and the
hex HMAC-SHA256, keyed with the webhook's secret, of the timestamp, a ".", and the exact body
bytes. Receivers recompute it, compare in constant time, and reject old timestamps (over five
minutes) so that a captured post cannot be replayed later; X-Backlight-Delivery lets them drop
repeats of one delivery.
"""

import hashlib
import hmac
import json
import time
from collections.abc import Mapping

USER_AGENT = "Backlight-Webhooks/1.0"


def payload_body(payload: Mapping) -> bytes:
    """The exact bytes posted (and signed): compact JSON, UTF-8."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def payload_sign(*, secret: str, timestamp: str, body: bytes) -> str:
    """The X-Backlight-Signature value: "sha256=" + hex HMAC-SHA256 of `timestamp` "." body."""
    message = timestamp.encode("ascii") + b"." + body
    return "sha256=" + hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def signature_verify(
    *, secret: str, timestamp: str, body: bytes, signature: str, max_age: int = 300
) -> bool:
    """What a receiver does: the signature matches and the timestamp is recent."""
    try:
        age = abs(time.time() - int(timestamp))
    except ValueError:
        return False
    expected = payload_sign(secret=secret, timestamp=timestamp, body=body)
    return age <= max_age and hmac.compare_digest(expected, signature)


def signed_headers(*, secret: str, body: bytes, event: str, delivery_id: int) -> dict[str, str]:
    timestamp = str(int(time.time()))
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Backlight-Event": event,
        "X-Backlight-Delivery": str(delivery_id),
        "X-Backlight-Timestamp": timestamp,
        "X-Backlight-Signature": payload_sign(secret=secret, timestamp=timestamp, body=body),
    }
