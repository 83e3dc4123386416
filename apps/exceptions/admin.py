from django.contrib import admin

from .models import AgencyLink, ExceptionPolicy


@admin.register(ExceptionPolicy)
class ExceptionPolicyAdmin(admin.ModelAdmin):
    """A client's exception detection settings (accepted providers and licence types, refused flags, SLA per cause
    family); the required metadata fields are edited with the client's policies."""

    list_display = ["client", "accepted_providers", "accepted_license_types", "refused_flags", "last_swept_at"]
    readonly_fields = ["last_swept_at"]


@admin.register(AgencyLink)
class AgencyLinkAdmin(admin.ModelAdmin):
    """Read-only: links are made and revoked on the case page, where each change and use is audited."""

    list_display = ["case", "agency", "client", "expires_at", "revoked_at", "uses"]
    list_filter = ["client"]
    exclude = ["nonce"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
