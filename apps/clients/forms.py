from __future__ import annotations

import re

from django import forms
from django.core.validators import validate_email

from apps.accounts.models import Region
from apps.common.smintio_vocabulary import USAGES

from .choices import DEFAULT_SLA_HOURS, MAX_SLA_HOURS, TaskKind
from .models import Client

_FIELD_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-]{0,63}$")
MAX_METADATA_FIELDS = 50
MAX_ESCALATION_CONTACTS = 20


def _lines(text: str) -> list[str]:
    """Items separated by new lines or commas, stripped, empty ones dropped, duplicates kept once in order."""
    items = [item.strip() for item in re.split(r"[\n,]", text or "")]
    return list(dict.fromkeys(item for item in items if item))


def clean_metadata_fields(values: list[str]) -> list[str]:
    bad = [value for value in values if not _FIELD_NAME.match(value)]
    if bad:
        raise forms.ValidationError(
            "Field names start with a letter and use letters, digits, '.', '_' or '-': %(bad)s",
            params={"bad": ", ".join(bad)},
        )
    if len(values) > MAX_METADATA_FIELDS:
        raise forms.ValidationError(f"At most {MAX_METADATA_FIELDS} required fields.")
    return values


def clean_contacts(values: list[str]) -> list[str]:
    values = [value.lower() for value in values]
    bad = []
    for value in values:
        try:
            validate_email(value)
        except forms.ValidationError:
            bad.append(value)
    if bad:
        raise forms.ValidationError("Not an e-mail address: %(bad)s", params={"bad": ", ".join(bad)})
    if len(values) > MAX_ESCALATION_CONTACTS:
        raise forms.ValidationError(f"At most {MAX_ESCALATION_CONTACTS} contacts.")
    return values


class ClientPolicyForm(forms.Form):
    """The client's policies as a person edits them: lists as lines, SLA hours one field per task kind."""

    name = forms.CharField(max_length=200)
    required_metadata_fields = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text="One field name per line, e.g. copyright_notice.",
    )
    rights_warning_days = forms.IntegerField(
        min_value=1,
        max_value=365,
        help_text="Open a renewal case this many days before rights lapse (1-365).",
    )
    usage_threshold_percent = forms.IntegerField(
        min_value=1,
        max_value=100,
        help_text="A usage limit counts as nearly reached at this percentage (1-100).",
    )
    escalation_contacts = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="E-mail addresses told when an SLA is missed, one per line.",
    )
    review_regions = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="What an approval is for. With one region, its regional reviewers review.",
    )
    review_usages = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, help_text="Uses an approval covers."
    )
    review_horizon_days = forms.IntegerField(
        min_value=1, max_value=3650, help_text="Approvals are for use until this many days after the review starts."
    )
    reason = forms.CharField(
        max_length=500, required=False, help_text="Optional: why this changes (kept in the audit trail)."
    )

    def __init__(self, *args, client: Client, **kwargs):
        initial = {
            "name": client.name,
            "required_metadata_fields": "\n".join(client.required_metadata_fields),
            "rights_warning_days": client.rights_warning_days,
            "usage_threshold_percent": client.usage_threshold_percent,
            "escalation_contacts": "\n".join(client.escalation_contacts),
            "review_regions": client.review_regions,
            "review_usages": client.review_usages,
            "review_horizon_days": client.review_horizon_days,
        }
        for kind in TaskKind:
            initial[f"sla_{kind}"] = client.sla_hours_for(kind)
        super().__init__(*args, initial=initial, **kwargs)
        self.client = client
        self.fields["review_regions"].choices = [(r.code, r.name) for r in Region.objects.order_by("code")]
        self.fields["review_usages"].choices = list(USAGES.items())
        for kind in TaskKind:
            self.fields[f"sla_{kind}"] = forms.IntegerField(
                label=f"{kind.label} SLA (hours)", min_value=1, max_value=MAX_SLA_HOURS
            )

    def sla_fields(self):
        return [self[f"sla_{kind}"] for kind in TaskKind]

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if Client.objects.exclude(pk=self.client.pk).filter(name__iexact=name).exists():
            raise forms.ValidationError("Another client already has this name.")
        return name

    def clean_required_metadata_fields(self) -> list[str]:
        return clean_metadata_fields(_lines(self.cleaned_data["required_metadata_fields"]))

    def clean_escalation_contacts(self) -> list[str]:
        return clean_contacts(_lines(self.cleaned_data["escalation_contacts"]))

    def changes(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "required_metadata_fields": data["required_metadata_fields"],
            "rights_warning_days": data["rights_warning_days"],
            "usage_threshold_percent": data["usage_threshold_percent"],
            # a kind the client never set and whose value is still the product default stays a default
            "sla_hours": {
                str(kind): data[f"sla_{kind}"]
                for kind in TaskKind
                if str(kind) in self.client.sla_hours or data[f"sla_{kind}"] != DEFAULT_SLA_HOURS[kind]
            },
            "escalation_contacts": data["escalation_contacts"],
            "review_regions": data["review_regions"],
            "review_usages": data["review_usages"],
            "review_horizon_days": data["review_horizon_days"],
        }
