from __future__ import annotations

from django.conf import settings
from django.db import models

from apps.common.querysets import ClientScopedQuerySet
from apps.sharing.models import SignedLink


def default_roles() -> list[str]:
    return ["legal", "brand", "marketing"]


class ApprovalPolicy(models.Model):
    """A client's approval shape (issue 15, item 5), read by ``asset_approval.bpmn`` as process variables set when a
    cycle starts (``policy.variables_for``): which roles sign, in this order when ``sequential`` (else all at once),
    how many different people of a role must approve (``quorum``, role -> number; absent: one), and whether a client
    stakeholder approves last. A changed policy reaches the cycles started afterwards only: a running cycle keeps the
    variables it started with. The SLA and the escalation contacts are the client's (``Client.sla_hours``,
    ``Client.escalation_contacts``). Changed through ``policy.update_policy`` (audited)."""

    client = models.OneToOneField("clients.Client", on_delete=models.CASCADE, related_name="approval_policy")
    roles = models.JSONField(default=default_roles, help_text="Role codes that sign, in order when sequential.")
    sequential = models.BooleanField(default=False, help_text="One role after the other, in the order of roles.")
    quorum = models.JSONField(default=dict, blank=True, help_text="Role code -> people of that role who must approve.")
    stakeholder_step = models.BooleanField(
        default=False, help_text="A client stakeholder approves after every internal review approved."
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = ClientScopedQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "approval policies"

    def __str__(self) -> str:
        return f"Approval policy of {self.client}"


class ApprovalEscalation(models.Model):
    """An overdue approval task told to its client's escalation contacts (issue 15, item 10): one row per task, so a
    task is escalated once whatever the number of workers (the unique task is the guard). ``contacts`` are the
    client's escalation contacts at the time, ``notified`` those of them with a login there (each got a notice)."""

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="+")
    task = models.OneToOneField("workflows.Task", on_delete=models.CASCADE, related_name="approval_escalation")
    escalated_at = models.DateTimeField()
    contacts = models.JSONField(default=list, blank=True)
    notified = models.JSONField(default=list, blank=True)

    objects = ClientScopedQuerySet.as_manager()

    def __str__(self) -> str:
        return f"Escalation of task {self.task_id}"


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
