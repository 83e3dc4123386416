"""The top bar's unread count: one COUNT on the (user, read_at) index, run only when a page renders the badge."""

from __future__ import annotations

from functools import cached_property


class Badge:
    def __init__(self, user):
        self.user = user

    @cached_property
    def unread(self) -> int:
        from .services import unread_count

        return unread_count(self.user)


def notifications_badge(request) -> dict:
    user = getattr(request, "user", None)
    from .mailbox import enabled

    signed_in = getattr(user, "is_authenticated", False)
    return {"notification_badge": Badge(user) if signed_in else None, "mailbox_nav": signed_in and enabled()}
