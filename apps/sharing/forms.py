from __future__ import annotations

from datetime import timedelta
from functools import cached_property

from django import forms
from django.utils import timezone

from apps.accounts.models import User
from apps.common.forms import DateInput

from . import services
from .choices import SubjectType


class ShareForm(forms.Form):
    """Share one subject with an external member of its client (the control on an asset's or a case's page)."""

    subject_type = forms.ChoiceField(choices=SubjectType.choices, widget=forms.HiddenInput)
    subject = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    user = forms.ModelChoiceField(
        queryset=User.objects.none(),
        to_field_name="email",
        label="Share with",
        empty_label="Choose an external member",
        help_text="External members see only what is shared with them.",
    )
    until = forms.DateField(label="Until", widget=DateInput(), help_text="Inclusive.")

    def __init__(self, *args, subject=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.subject = subject
        if subject is not None:
            self.fields["user"].queryset = services.external_members(subject.client)
            self.initial.setdefault("subject_type", subject._meta.label_lower)
            self.initial.setdefault("subject", subject.pk)
        today = timezone.localdate()
        self.initial.setdefault("until", today + timedelta(days=services.DEFAULT_DAYS))
        self.fields["until"].widget.attrs.update(
            min=today.isoformat(), max=(today + timedelta(days=services.MAX_DAYS)).isoformat()
        )

    @cached_property
    def offered(self) -> list[User]:
        """The external members the picker offers, read once: the page asks whether there are any, then draws the
        picker from the same list (the field alone would read them again to draw its options)."""
        field = self.fields["user"]
        members = list(field.queryset)
        field.choices = [
            ("", field.empty_label),
            *((field.prepare_value(m), field.label_from_instance(m)) for m in members),
        ]
        return members
