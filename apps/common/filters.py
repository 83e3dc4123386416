"""Filters shared by the HTML lists and the API (django-filter), for values people and programs type by hand."""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django_filters.fields import IsoDateTimeField
from django_filters.rest_framework import DjangoFilterBackend


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
