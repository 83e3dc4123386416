import django_filters
from django.db.models.functions import Now

from apps.accounts.models import normalize_email

from .choices import SUBJECT_BY_CODE, SUBJECT_CODES
from .models import Share

STATE_CHOICES = [("active", "In force"), ("expired", "Expired"), ("revoked", "Revoked")]


class ShareFilterSet(django_filters.FilterSet):
    """``/api/v1/shares/``: by subject, by person, by state."""

    subject_type = django_filters.ChoiceFilter(
        choices=[(code, code) for code in SUBJECT_CODES.values()], method="by_subject_type", label="Subject type"
    )
    subject = django_filters.NumberFilter(field_name="subject_id", label="Subject id")
    user = django_filters.CharFilter(method="by_user", label="Shared with (e-mail)")
    state = django_filters.ChoiceFilter(choices=STATE_CHOICES, method="by_state", label="State")

    class Meta:
        model = Share
        fields = ["subject_type", "subject", "user", "state"]

    def by_subject_type(self, queryset, name, value):
        return queryset.filter(subject_type=SUBJECT_BY_CODE[value])

    def by_user(self, queryset, name, value):
        return queryset.filter(user__email=normalize_email(value))

    def by_state(self, queryset, name, value):
        if value == "active":
            return queryset.active()
        if value == "expired":
            return queryset.filter(revoked_at__isnull=True, expires_at__lte=Now())
        return queryset.filter(revoked_at__isnull=False)
