from rest_framework import serializers

from apps.common.smintio_vocabulary import USAGES

from ..choices import MAX_SLA_HOURS, TaskKind
from ..forms import clean_contacts, clean_metadata_fields
from ..models import Client


def _form_rule(rule, value):
    """Run one of the HTML form's validators so both entry points refuse exactly the same input."""
    from django import forms

    try:
        return rule(value)
    except forms.ValidationError as exc:
        raise serializers.ValidationError(exc.messages) from None


class ClientSerializer(serializers.ModelSerializer):
    required_metadata_fields = serializers.ListField(child=serializers.CharField(), required=False)
    escalation_contacts = serializers.ListField(child=serializers.CharField(), required=False)
    sla_hours = serializers.DictField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_SLA_HOURS),
        required=False,
        help_text=f"Hours per task kind; keys: {', '.join(TaskKind.values)}. Missing kinds use the default.",
    )
    effective_sla_hours = serializers.SerializerMethodField()
    review_regions = serializers.ListField(child=serializers.CharField(), required=False)
    review_usages = serializers.ListField(child=serializers.ChoiceField(choices=list(USAGES)), required=False)
    reason = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=500)

    class Meta:
        model = Client
        fields = [
            "slug",
            "name",
            "required_metadata_fields",
            "rights_warning_days",
            "usage_threshold_percent",
            "sla_hours",
            "effective_sla_hours",
            "escalation_contacts",
            "review_regions",
            "review_usages",
            "review_horizon_days",
            "updated_at",
            "reason",
        ]
        read_only_fields = ["slug", "updated_at"]

    def get_effective_sla_hours(self, client) -> dict[str, int]:
        return {str(kind): client.sla_hours_for(kind) for kind in TaskKind}

    def validate_required_metadata_fields(self, value):
        return _form_rule(clean_metadata_fields, list(dict.fromkeys(v.strip() for v in value if v.strip())))

    def validate_escalation_contacts(self, value):
        return _form_rule(clean_contacts, list(dict.fromkeys(v.strip() for v in value if v.strip())))

    def validate_review_regions(self, value):
        from apps.accounts.models import Region

        unknown = set(value) - set(Region.objects.filter(code__in=value).values_list("code", flat=True))
        if unknown:
            raise serializers.ValidationError(f"Unknown regions: {', '.join(sorted(unknown))}.")
        return list(dict.fromkeys(value))

    def validate_sla_hours(self, value):
        unknown = set(value) - set(TaskKind.values)
        if unknown:
            raise serializers.ValidationError(f"Unknown task kinds: {', '.join(sorted(unknown))}.")
        return value

    def validate_name(self, value):
        value = value.strip()
        clash = Client.objects.filter(name__iexact=value)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError("Another client already has this name.")
        return value
