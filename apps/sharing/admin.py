from django.contrib import admin

from .models import Share


@admin.register(Share)
class ShareAdmin(admin.ModelAdmin):
    """Read-only: shares are made and revoked in the portal, where each change is audited."""

    list_display = ["subject_label", "subject_type", "user", "client", "expires_at", "revoked_at"]
    list_filter = ["client", "subject_type"]
    search_fields = ["subject_label", "user__email"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
