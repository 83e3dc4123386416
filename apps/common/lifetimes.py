"""What a row that ends by revocation or expiry is now (API tokens, shares): model-free, read by both apps."""

from __future__ import annotations

from django.utils import timezone


class RevocableUntil:
    """For a model with ``revoked_at`` (null while not revoked) and ``expires_at``."""

    revoked_at: object
    expires_at: object

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()

    @property
    def state(self) -> str:
        """``revoked``, ``expired`` or ``active``."""
        if self.revoked_at:
            return "revoked"
        return "active" if self.expires_at > timezone.now() else "expired"
