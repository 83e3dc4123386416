from django import forms

from .models import ComplianceRule


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
