"""Filters shared by the HTML lists and the API (django-filter), for values people and programs type by hand."""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django_filters.fields import IsoDateTimeField


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
