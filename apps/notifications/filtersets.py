import django_filters

from .choices import Kind
from .models import Notification


class NotificationFilterSet(django_filters.FilterSet):
    """Shared by the API list (and any HTML filter): unread only, one kind."""

    unread = django_filters.BooleanFilter(field_name="read_at", lookup_expr="isnull", label="Unread only")
    kind = django_filters.ChoiceFilter(choices=Kind.choices)

    class Meta:
        model = Notification
        fields = ["unread", "kind"]
