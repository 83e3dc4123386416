from django.contrib import admin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the trail is append-only for operators too."""

    list_display = ["created_at", "actor_label", "client", "action", "object_repr"]
    list_filter = ["client"]
    search_fields = ["action", "actor_label", "object_repr", "request_id"]
    list_select_related = ["client"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
