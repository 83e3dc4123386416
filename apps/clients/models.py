from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse

from .choices import DEFAULT_SLA_HOURS, TaskKind
from .querysets import ClientQuerySet


class Client(models.Model):
    """An agency client: the tenant every domain row belongs to, with the policies its flows read.

    Policies are plain columns and small JSON documents validated by ``ClientPolicyForm`` and the API serializer;
    change them through ``services.update_policies`` so that each change is audited.
    """

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    required_metadata_fields = models.JSONField(
        default=list, blank=True, help_text="Metadata fields every asset of this client must carry."
    )
    rights_warning_days = models.PositiveSmallIntegerField(
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text="Open a renewal case this many days before rights lapse.",
    )
    usage_threshold_percent = models.PositiveSmallIntegerField(
        default=80,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="A download, user or reuse limit counts as nearly reached at this share of it.",
    )
    sla_hours = models.JSONField(default=dict, blank=True, help_text="Hours allowed per task kind.")
    escalation_contacts = models.JSONField(
        default=list, blank=True, help_text="E-mail addresses told when an SLA is missed."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ClientQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rights_warning_days__gte=1, rights_warning_days__lte=365),
                name="client_rights_warning_days_range",
            ),
            models.CheckConstraint(
                condition=models.Q(usage_threshold_percent__gte=1, usage_threshold_percent__lte=100),
                name="client_usage_threshold_percent_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("clients:client_detail", kwargs={"slug": self.slug})

    def sla_hours_for(self, kind: TaskKind | str) -> int:
        """The client's SLA for ``kind`` in hours, or the product default when the client set none."""
        return int(self.sla_hours.get(str(kind), DEFAULT_SLA_HOURS[TaskKind(kind)]))

    def sla_table(self) -> list[tuple[str, int, bool]]:
        """(label, hours, is_default) for every task kind, for display."""
        return [(kind.label, self.sla_hours_for(kind), str(kind) not in self.sla_hours) for kind in TaskKind]
