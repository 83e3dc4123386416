"""The browser's campaign form. It only reads the fields; what is allowed is ``services.validate``'s alone (the API
goes through it too), whose messages the form shows at their fields."""

from __future__ import annotations

from django import forms

from apps.common.forms import DateInput
from apps.common.smintio_vocabulary import USAGES

from . import services


class OfferedChoices(forms.MultipleChoiceField):
    """Choices offered as a list, checked by ``services.validate`` (the same words for the API), not the form."""

    def valid_value(self, value) -> bool:
        return True


class CampaignForm(forms.Form):
    name = forms.CharField(max_length=services.NAME_LIMIT, label="Name", required=False)
    channels = OfferedChoices(required=False, widget=forms.CheckboxSelectMultiple, label="Channels")
    run_from = forms.DateField(required=False, widget=DateInput(), label="Runs from")
    run_until = forms.DateField(required=False, widget=DateInput(), label="Runs until")
    regions = OfferedChoices(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Regions",
        help_text="Each region's marketing, compliance and product teams review the campaign's assets.",
    )

    def __init__(self, *args, regions, **kwargs):
        super().__init__(*args, **kwargs)
        self.region_list = regions
        self.fields["channels"].choices = list(USAGES.items())
        self.fields["regions"].choices = [(r.code, r.name) for r in regions]
        for region in regions:
            self.fields[f"countries_{region.code}"] = forms.CharField(
                required=False,
                label=f"{region.name}: countries",
                help_text=f"Some of {', '.join(str(c) for c in region.countries)}, comma-separated; empty: all.",
            )
            self.fields[f"due_{region.code}"] = forms.DateField(
                required=False,
                widget=DateInput(),
                label=f"{region.name}: review due",
                help_text="The end of that day in the region; empty: in a week, or the day before the campaign.",
            )

    def region_fields(self):
        """(region, its checkbox value, its countries field, its due field) for the template."""
        for region in self.region_list:
            yield region, self[f"countries_{region.code}"], self[f"due_{region.code}"]

    def plan(self) -> services.Plan:
        data = self.cleaned_data
        regions = []
        for code in data.get("regions") or []:
            raw = data.get(f"countries_{code}") or ""
            regions.append(
                services.RegionPlan(
                    code=code,
                    countries=[c.strip() for c in raw.split(",") if c.strip()],
                    review_due=data.get(f"due_{code}"),
                )
            )
        return services.Plan(
            name=data.get("name") or "",
            channels=list(data.get("channels") or []),
            run_from=data.get("run_from"),
            run_until=data.get("run_until"),
            regions=regions,
        )

    def show(self, errors: dict) -> None:
        for name, messages in errors.items():
            for message in messages:
                self.add_error(name if name in self.fields else None, message)
