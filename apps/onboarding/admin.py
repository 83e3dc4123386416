from django.contrib import admin

from .models import Onboarding, OnboardingPolicy


@admin.register(OnboardingPolicy)
class OnboardingPolicyAdmin(admin.ModelAdmin):
    """Which sources onboard for a client, and whether approval follows; agency admins also edit it in the API."""

    list_display = ["client", "sources", "approval_after", "shape", "cultures", "updated_at"]


@admin.register(Onboarding)
class OnboardingAdmin(admin.ModelAdmin):
    """Read-only: onboardings are worked through their tasks, where each change is audited."""

    list_display = ["asset", "client", "source", "state", "started_at", "finished_at"]
    list_filter = ["client", "state"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
