"""The browser's request form. It only reads the fields; what is allowed is ``services.validate``'s alone (the API
and OpenText's variables go through it too), whose messages the form shows at their fields."""

from __future__ import annotations

from django import forms
from django_countries import countries

from apps.common.forms import DateInput

from . import services
from .models import CampaignType, Format


class OfferedChoices(forms.MultipleChoiceField):
    """Choices offered as a list, checked by ``services.validate`` (its words, the same for the API and OpenText),
    not by the form."""

    def valid_value(self, value) -> bool:
        return True


class RequestForm(forms.Form):
    """What a requester asks for. ``client`` is the client the request is for (chosen before the form, or the
    draft's); ``user`` the requester, whose memberships bound the regions offered."""

    title = forms.CharField(max_length=services.TITLE_LIMIT, label="Title")
    brief = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        label="Brief",
        help_text="What the campaign is about and what the assets should show; matching reads it.",
    )
    keywords = forms.CharField(
        max_length=services.KEYWORDS_LIMIT, required=False, label="Keywords", help_text="Words to search for."
    )
    campaign_type = forms.ModelChoiceField(
        queryset=CampaignType.objects.none(), required=False, label="Campaign type", empty_label="Not said"
    )
    format = forms.ModelChoiceField(queryset=Format.objects.none(), required=False, label="Format", empty_label="Any")
    regions = OfferedChoices(
        required=False, widget=forms.CheckboxSelectMultiple, label="Regions", help_text="Your regions only."
    )
    countries = OfferedChoices(
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        label="Countries",
        help_text="Where the campaign runs (besides whole regions). Hold Ctrl or Cmd to choose several.",
    )
    usages = OfferedChoices(required=False, widget=forms.CheckboxSelectMultiple, label="Channels")
    deadline = forms.DateField(required=False, widget=DateInput(), label="Assets needed by")
    run_from = forms.DateField(required=False, widget=DateInput(), label="Campaign runs from")
    run_until = forms.DateField(required=False, widget=DateInput(), label="Campaign runs until")

    def __init__(self, *args, client, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.client, self.user = client, user
        self.fields["campaign_type"].queryset = CampaignType.objects.filter(client=client).active()
        self.fields["format"].queryset = Format.objects.filter(client=client).active()
        from apps.accounts.models import Region

        codes = services.region_choices(user, client)
        names = dict(Region.objects.filter(code__in=codes).values_list("code", "name"))
        self.fields["regions"].choices = [(code, names.get(code, code.upper())) for code in codes]
        self.fields["countries"].choices = [(code, name) for code, name in countries]
        self.fields["usages"].choices = list(services.usage_choices().items())

    def intake(self) -> services.Intake:
        """The fields as the intake service reads them (an empty list or date is "not given")."""
        data = self.cleaned_data
        given = {name: data[name] for name in services.FIELDS if name in data and data[name] not in (None, "", [])}
        return services.Intake(**{name: list(v) if isinstance(v, list | tuple) else v for name, v in given.items()})

    def show(self, errors: dict) -> None:
        """Put the service's messages at their fields (a field the form lacks: at the top)."""
        for name, messages in errors.items():
            for message in messages:
                self.add_error(name if name in self.fields else None, message)

    @classmethod
    def of(cls, request_obj, *, user):
        """The form filled with a draft."""
        intake = services.intake_of(request_obj)
        initial = {name: getattr(intake, name) for name in services.FIELDS}
        return cls(initial=initial, client=request_obj.client, user=user)
