"""Inbound hint signatures (platforms.md 5.3): HMAC-SHA256 over "<timestamp>.<raw body>", hex, in
``X-Signature: sha256=<hex>`` with ``X-Timestamp`` (unix seconds).

The timestamp is inside the signed bytes, so a captured request cannot be replayed later with a new timestamp;
requests more than ``TOLERANCE`` seconds away from now (either way) are refused. During a secret rotation the
sender may send several signatures (comma-separated) and the receiver accepts a match with any configured secret.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from apps.common.http import whole_number

TOLERANCE = 300
SCHEME = "sha256="


class SignatureError(Exception):
    """The request is not provably from the platform (401)."""


def sign(body: bytes, timestamp: int, secret: str) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return SCHEME + mac.hexdigest()


def parse_signatures(header: str) -> list[str]:
    """The hex digests of an ``X-Signature`` header; anything that is not ``sha256=<64 hex>`` is ignored."""
    digests = []
    for part in (header or "").split(","):
        part = part.strip()
        if part.startswith(SCHEME):
            digest = part[len(SCHEME) :]
            if len(digest) == 64 and all(c in "0123456789abcdefABCDEF" for c in digest):
                digests.append(digest.lower())
    return digests


def verify(
    body: bytes, *, timestamp_header: str, signature_header: str, secrets: list[str], now: float | None = None
) -> int:
    """Return the verified timestamp, or raise ``SignatureError`` saying what is wrong (never the secret)."""
    if not secrets:
        raise SignatureError("inbound hints are not configured (NOTIFY_SECRET is unset)")
    if not timestamp_header or not signature_header:
        raise SignatureError("missing X-Timestamp or X-Signature")
    timestamp = whole_number(timestamp_header)  # ASCII digits, at most 18 of them: a 400-digit one overflows a float
    if timestamp is None:
        raise SignatureError("X-Timestamp is not a unix time")
    now = time.time() if now is None else now
    if abs(now - timestamp) > TOLERANCE:
        raise SignatureError("X-Timestamp is more than 5 minutes away from now")
    digests = parse_signatures(signature_header)
    if not digests:
        raise SignatureError("X-Signature is not 'sha256=<hex>'")
    for secret in secrets:
        expected = sign(body, timestamp, secret)[len(SCHEME) :]
        if any(hmac.compare_digest(expected, digest) for digest in digests):
            return timestamp
    raise SignatureError("signature does not match")
