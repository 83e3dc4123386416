from django.contrib import admin

from .models import Client


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    """Operators create clients here; policies are edited in the portal, where each change is audited."""

    list_display = ["name", "slug", "rights_warning_days", "usage_threshold_percent"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [
            "required_metadata_fields",
            "rights_warning_days",
            "usage_threshold_percent",
            "sla_hours",
            "escalation_contacts",
        ]
