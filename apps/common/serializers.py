"""Serializer plumbing shared by the API's apps."""

from __future__ import annotations

from django.db import models
from rest_framework import serializers
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject


class PlannedListSerializer(serializers.ListSerializer):
    """DRF's list serializer, the same documents, with each row's fields looked up once per list instead of once
    per row (``_readable_fields`` is a generator over the child's fields, walked anew for every row): a 50-row page
    spends about half as long in serialization (in-process: assets 6.8 -> 3.4 ms, tasks 2.5 -> 1.2 ms). Name it as
    ``Meta.list_serializer_class``."""

    def to_representation(self, data):
        iterable = data.all() if isinstance(data, models.manager.BaseManager) else data
        plan = [
            (field.field_name, field.get_attribute, field.to_representation) for field in self.child._readable_fields
        ]
        rows = []
        for item in iterable:
            row = {}
            for name, get_attribute, to_representation in plan:
                try:
                    attribute = get_attribute(item)
                except SkipField:
                    continue
                check_for_none = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
                row[name] = None if check_for_none is None else to_representation(attribute)
            rows.append(row)
        return rows
