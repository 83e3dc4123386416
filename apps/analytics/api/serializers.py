"""The analytics figures as the API returns them (the same rows as the page and the CSV; durations in seconds)."""

from rest_framework import serializers


class SummarySerializer(serializers.Serializer):
    completed = serializers.IntegerField(help_text="Tasks completed in the period.")
    open = serializers.IntegerField(help_text="Tasks open now.")
    wait_median = serializers.FloatField(allow_null=True, help_text="Median seconds waiting for a claim.")
    wait_p90 = serializers.FloatField(allow_null=True)
    decide_median = serializers.FloatField(allow_null=True, help_text="Median seconds from claim to decision.")
    decide_p90 = serializers.FloatField(allow_null=True)
    sla_hits = serializers.IntegerField()
    sla_total = serializers.IntegerField(help_text="Completed tasks that had a due date.")
    sla_rate = serializers.FloatField(allow_null=True, help_text="sla_hits / sla_total, 0..1; null without any.")


class StageSerializer(serializers.Serializer):
    stage = serializers.CharField(help_text="The task definition key.")
    stage_label = serializers.CharField()
    completed = serializers.IntegerField()
    wait_median = serializers.FloatField(allow_null=True)
    wait_p90 = serializers.FloatField(allow_null=True)
    decide_median = serializers.FloatField(allow_null=True)
    decide_p90 = serializers.FloatField(allow_null=True)
    sla_hits = serializers.IntegerField()
    sla_total = serializers.IntegerField()
    sla_rate = serializers.FloatField(allow_null=True)


class WeekSerializer(serializers.Serializer):
    week = serializers.CharField(help_text="ISO week, e.g. 2026-W49.")
    week_start = serializers.DateField()
    completed = serializers.IntegerField()


class BacklogSerializer(serializers.Serializer):
    age = serializers.CharField()
    open = serializers.IntegerField()


class PersonQueueSerializer(serializers.Serializer):
    person = serializers.CharField()
    email = serializers.EmailField()
    open = serializers.IntegerField()
    oldest_age = serializers.FloatField(help_text="Seconds the oldest of their open tasks has been available.")


class RoleQueueSerializer(serializers.Serializer):
    role = serializers.CharField()
    role_label = serializers.CharField()
    unclaimed = serializers.IntegerField()


class AnalyticsSerializer(serializers.Serializer):
    client = serializers.SlugField()
    since = serializers.DateField()
    until = serializers.DateField(help_text="Last day of the period (included).")
    summary = SummarySerializer()
    stages = StageSerializer(many=True, help_text="Slowest first (p90 time to decide).")
    throughput = WeekSerializer(many=True)
    backlog = BacklogSerializer(many=True)
    people = PersonQueueSerializer(many=True)
    roles = RoleQueueSerializer(many=True)
