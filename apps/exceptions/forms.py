from django import forms

from apps.clients.models import Client

from .lapses import DEFAULT_WINDOW, WINDOW_CHOICES
from .models import ComplianceRule


class CalendarFilterForm(forms.Form):
    """The rights calendar's filters: a client of the viewer's (or all) and how far ahead."""

    client = forms.ModelChoiceField(
        queryset=Client.objects.none(), to_field_name="slug", required=False, empty_label="All my clients"
    )
    window = forms.TypedChoiceField(
        choices=WINDOW_CHOICES, coerce=int, required=False, empty_value=DEFAULT_WINDOW, label="Lapsing within"
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = Client.objects.visible_to(user).order_by("name")


class CalendarFeedForm(forms.Form):
    """Creating or replacing the personal feed: which of the person's clients it shows."""

    client = forms.ModelChoiceField(
        queryset=Client.objects.none(),
        to_field_name="slug",
        required=False,
        empty_label="All my clients",
        label="The feed shows",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = Client.objects.visible_to(user).order_by("name")


class ComplianceRuleForm(forms.ModelForm):
    class Meta:
        model = ComplianceRule
        fields = ["enabled", "threshold_percent", "burst_downloads", "burst_minutes", "route_to"]
        labels = {
            "enabled": "On",
            "threshold_percent": "Share of the limit (%)",
            "burst_downloads": "Downloads",
            "burst_minutes": "Within minutes",
            "route_to": "Routed to",
        }
        widgets = {
            "threshold_percent": forms.NumberInput(attrs={"min": 1, "max": 1000}),
            "burst_downloads": forms.NumberInput(attrs={"min": 2, "max": 10000}),
            "burst_minutes": forms.NumberInput(attrs={"min": 1, "max": 10080}),
        }

    def clean_threshold_percent(self):
        value = self.cleaned_data["threshold_percent"]
        if not 1 <= value <= 1000:
            raise forms.ValidationError("Between 1 and 1000 %.")
        return value

    def clean_burst_downloads(self):
        value = self.cleaned_data["burst_downloads"]
        if value < 2:
            raise forms.ValidationError("At least 2 downloads make a burst.")
        return value


RuleFormSet = forms.modelformset_factory(ComplianceRule, form=ComplianceRuleForm, extra=0)
