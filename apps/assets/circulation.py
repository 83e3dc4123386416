"""An approved asset leaving circulation, said once (``asset.withdrawn``, docs/events.md) by whichever way comes
first: a hold placed (``holds.place``), its rights no longer in force (``services`` on the rights move), or its
approval withdrawn (``services`` on the approval move). Each caller names the occurrence that makes its key."""

from __future__ import annotations

from apps.common import events


def announce_withdrawn(asset, *, occurrence: str, reason: str, actor=None) -> None:
    events.publish(
        "asset.withdrawn",
        key=f"asset.withdrawn:asset-{asset.pk}:{occurrence}",
        client=asset.client,
        data={
            "url": asset.get_absolute_url(),
            "title": asset.name or asset.content_element_uuid,
            "asset": asset.pk,
            "reason": reason,
        },
        actor=actor,
    )
