from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "apps.campaigns"
    verbose_name = "Global campaigns"

    def ready(self) -> None:
        from apps.workflows import flows

        from . import flows as campaigns

        flows.register(campaigns.FLOW)
        from apps.assets import pages

        from .pages import campaign_uses, campaigns_to_add_to

        pages.register_uses("campaigns.entries", campaign_uses)  # the asset page lists its campaigns
        pages.register("campaigns.add", campaigns_to_add_to)  # and offers a planner the others
