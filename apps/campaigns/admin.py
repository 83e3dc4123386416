from django.contrib import admin

from .models import Campaign, CampaignAsset, CampaignAssetRegion, CampaignRegion


class CampaignRegionInline(admin.TabularInline):
    model = CampaignRegion
    extra = 0


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "client", "run_from", "run_until"]
    list_filter = ["client"]
    search_fields = ["name"]
    inlines = [CampaignRegionInline]


@admin.register(CampaignAssetRegion)
class CampaignAssetRegionAdmin(admin.ModelAdmin):
    list_display = ["campaign_asset", "campaign_region", "state", "decided_at"]
    list_filter = ["state"]
    readonly_fields = ["state", "restrictions", "decided_at"]  # written only by the services (audited)


admin.site.register(CampaignAsset)
