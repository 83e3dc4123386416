"""The events an integrator may subscribe an endpoint to, and the type of the test event."""

from __future__ import annotations

from apps.common.events import CATALOGUE

# Subjects an integrator acts on outside the portal; task, comment and sync events concern people inside it (the
# notifications app tells them) and name internal users, so they are not offered.
SUBSCRIBABLE: tuple[str, ...] = (
    "asset.approved",
    "asset.rejected",
    "asset.restricted",
    "asset.withdrawn",
    "case.opened",
    "case.decided",
    "request.delivered",
    "onboarding.published",
)
if not set(SUBSCRIBABLE) <= set(CATALOGUE):  # a renamed event would otherwise be silence
    raise ImportError(f"Unknown events in SUBSCRIBABLE: {set(SUBSCRIBABLE) - set(CATALOGUE)}")

EVENT_CHOICES = [(name, f"{name}: {CATALOGUE[name]}") for name in SUBSCRIBABLE]

# Sent by "Send test event" to one endpoint, whatever it subscribes to.
TEST_EVENT = "webhook.test"

# Event data naming portal users by id: never sent to an integrator (ids of people are internal).
INTERNAL_KEYS = frozenset(
    {"requested_by", "asset_owner", "assignee", "by", "delegate", "on_behalf_of", "recipients", "mentioned"}
)

DELIVER_KIND = "webhook.deliver"
