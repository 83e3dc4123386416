"""Signed links for people without an account (an agency correcting a case, a client stakeholder reviewing assets):
model-free, read by each app that keeps such links (``exceptions.AgencyLink``, ``reviews.ReviewLink``).

A link row has an id, a random ``nonce`` and the ``RevocableUntil`` fields; its token is ``<id>.<nonce>:<signature>``
(``django.core.signing``, salted per purpose), so forging one needs ``SECRET_KEY`` and the nonce, and a token of one
purpose never opens another's. ``find`` answers the row only while it is active. ``missed`` counts the tokens an
address tried that open nothing: past ``MISS_LIMIT`` in ``MISS_WINDOW`` every token from there is refused for the
window (a 429), so ids cannot be walked.
"""

from __future__ import annotations

import secrets

from django.core import signing
from django.core.cache import cache

from .http import whole_number

MISS_LIMIT = 20
MISS_WINDOW = 15 * 60  # seconds


def new_nonce() -> str:
    return secrets.token_urlsafe(24)


class SignedLinks:
    """The tokens of one kind of link (``salt`` names the purpose)."""

    def __init__(self, salt: str):
        self.salt = salt

    def token(self, link) -> str:
        return signing.Signer(salt=self.salt).sign(f"{link.pk}.{link.nonce}")

    def find(self, queryset, token: str):
        """The active row of ``queryset`` that ``token`` names; ``None`` when forged, revoked or expired."""
        try:
            pk, nonce = signing.Signer(salt=self.salt).unsign(token or "").split(".", 1)
        except (signing.BadSignature, ValueError):
            return None
        link = queryset.filter(pk=whole_number(pk) or 0).first()
        if link is None or not secrets.compare_digest(link.nonce, nonce) or not link.is_active:
            return None
        return link


def _miss_key(scope: str, address: str) -> str:
    return f"links:miss:{scope}:{address or '-'}"


def blocked(scope: str, address: str) -> bool:
    """Whether ``address`` tried too many tokens that open nothing lately (refuse it whatever it sends now)."""
    return (cache.get(_miss_key(scope, address)) or 0) >= MISS_LIMIT


def missed(scope: str, address: str) -> None:
    """Count one token from ``address`` that opened nothing."""
    key = _miss_key(scope, address)
    if not cache.add(key, 1, MISS_WINDOW):
        try:
            cache.incr(key)
        except ValueError:  # expired between the two calls
            cache.add(key, 1, MISS_WINDOW)
