from __future__ import annotations

from django import forms

from .choices import EVENT_CHOICES
from .targets import TargetRefused, check


class EndpointForm(forms.Form):
    """A new endpoint: the client (among those the person administers), the URL (checked against the SSRF rules
    here, so the reason shows next to the field), what it is for, and the events it wants."""

    client = forms.ChoiceField(label="Client")
    url = forms.URLField(
        label="URL",
        max_length=2000,
        assume_scheme="https",
        help_text="An https:// address on the public internet that answers a POST with 2xx.",
    )
    description = forms.CharField(label="Description", max_length=200, required=False)
    event_types = forms.MultipleChoiceField(
        label="Events", choices=EVENT_CHOICES, widget=forms.CheckboxSelectMultiple, required=True
    )

    def __init__(self, *args, clients, **kwargs):
        super().__init__(*args, **kwargs)
        self.clients = {c.slug: c for c in clients}
        self.fields["client"].choices = [(c.slug, c.name) for c in clients]
        if len(clients) == 1:
            self.fields["client"].widget = forms.HiddenInput()

    def clean_client(self):
        return self.clients[self.cleaned_data["client"]]

    def clean_url(self):
        url = self.cleaned_data["url"]
        try:
            check(url)
        except TargetRefused as exc:
            raise forms.ValidationError(str(exc)) from None
        return url


class DisableForm(forms.Form):
    reason = forms.CharField(label="Why disable it", max_length=500, required=False)
