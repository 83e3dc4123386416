from django.contrib import admin

from .models import CampaignType, CreativeRequest, Format


@admin.register(CampaignType)
class CampaignTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "client", "archived_at"]
    list_filter = ["client"]
    search_fields = ["name"]


@admin.register(Format)
class FormatAdmin(admin.ModelAdmin):
    list_display = ["name", "client", "content_type", "orientation", "min_width", "min_height", "archived_at"]
    list_filter = ["client", "orientation"]
    search_fields = ["name"]


@admin.register(CreativeRequest)
class CreativeRequestAdmin(admin.ModelAdmin):
    """Read-only: a request changes through its services (and its OpenText process), never by hand."""

    list_display = ["title", "client", "status", "source", "requester_email", "deadline"]
    list_filter = ["client", "status", "source"]
    search_fields = ["title", "requester_email"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
