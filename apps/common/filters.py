"""Filters shared by the HTML lists and the API (django-filter), for values people and programs type by hand."""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django_filters.fields import IsoDateTimeField
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field


class MomentField(IsoDateTimeField):
    """An ISO 8601 date-time whose UTC offset a database can store: PostgreSQL refuses offsets beyond ±15:59, which
    Python accepts up to ±23:59, so ``2026-01-01T00:00:00+23:00`` would reach the database and fail there."""

    def to_python(self, value):
        invalid = forms.ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            when = super().to_python(value)
        except OverflowError:  # a year of 400 digits
            raise invalid from None
        offset = when.utcoffset() if when is not None else None
        if offset is not None and abs(offset) >= dt.timedelta(hours=16):
            raise invalid
        return when


class MomentFilter(django_filters.IsoDateTimeFilter):
    field_class = MomentField


class MemberClientField(forms.ChoiceField):
    """One of ``clients`` by its slug, cleaned to that client (as ``ModelChoiceField(to_field_name="slug")`` would,
    without a query: the clients are the person's own, already read)."""

    default_error_messages = {
        "invalid_choice": "Select a valid choice. That choice is not one of the available choices.",
    }

    def __init__(self, *, clients=(), empty_label="---------", **kwargs):
        self.clients = {client.slug: client for client in clients}
        super().__init__(choices=[("", empty_label), *((c.slug, c.name) for c in clients)], **kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        found = self.clients.get(str(value))
        if found is None:
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return found

    def validate(self, value):
        if value is None and self.required:
            raise forms.ValidationError(self.error_messages["required"], code="required")


@extend_schema_field(OpenApiTypes.STR)  # a client's slug
class MemberClientFilter(django_filters.Filter):
    """``?client=<slug>``: one of the clients the person is a member of (their membership list, which the per-person
    cache holds and every page reads for its navigation), the same clients as ``Client.objects.visible_to(user)``
    (both read the user's memberships, a token's client only when it is bound to one). A ``ModelChoiceFilter`` over
    that queryset read the clients twice a request: once to check the value, once to draw the options."""

    field_class = MemberClientField

    @property
    def field(self):
        if not hasattr(self, "_field"):
            request = getattr(self.parent, "request", None)
            user = getattr(request, "user", None)
            members = user.membership_list if getattr(user, "is_authenticated", False) and user.is_active else []
            self.extra["clients"] = [membership.client for membership in members]
        return super().field


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, skipping the FilterSet when the request names none of its parameters (a plain list
    page, a poller's page 2 by ``cursor``): with no data every filter passes the queryset through unchanged, and
    building the filterset and its form cost an unfiltered API list page a third of its CPU. A filterset with a
    required filter, or one that filters in its own ``filter_queryset``/``qs``, is always run."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None and _passes_through(filterset_class, request.query_params):
            return queryset
        return super().filter_queryset(request, queryset, view)


# Parameters no filterset reads: the cursor pagination's.
PAGING_PARAMETERS = frozenset({"cursor", "page_size"})


def _passes_through(filterset_class, params) -> bool:
    if not PAGING_PARAMETERS.issuperset(params.keys()):
        return False
    if filterset_class.filter_queryset is not django_filters.FilterSet.filter_queryset:
        return False
    if filterset_class.qs is not django_filters.FilterSet.qs:
        return False
    return not any(filter_.extra.get("required") for filter_ in filterset_class.base_filters.values())
