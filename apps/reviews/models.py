"""Review links: a client stakeholder without an account reviews exactly the assets a member sent them."""

from __future__ import annotations

from django.db import models

from apps.common.querysets import ClientScopedQuerySet
from apps.sharing.models import SignedLink


class ReviewLink(SignedLink):
    """A signed, expiring, revocable link for one stakeholder (named and reached by e-mail) to review ``assets``:
    each asset's preview and licence in plain words, and its open stakeholder step (a task whose candidate group is
    ``external``, in any flow) to approve, reject with a reason, or comment on. Nothing else is shown through it
    (``apps.reviews.links``). Every view and decision is audited with the holder's name."""

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="+")
    holder_name = models.CharField(max_length=200, help_text="Who the link was sent to, as the trail names them.")
    holder_email = models.EmailField(help_text="Their e-mail: the decisions made through the link carry it.")
    assets = models.ManyToManyField("assets.Asset", related_name="+", help_text="Exactly what the link shows.")

    objects = ClientScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")), name="review_link_expires_after_created"
            )
        ]

    def __str__(self) -> str:
        return f"Review link for {self.holder_name} <{self.holder_email}>"
