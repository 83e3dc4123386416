from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "apps.campaigns"
    verbose_name = "Global campaigns"

    def ready(self) -> None:
        from apps.workflows import flows

        from . import flows as campaigns

        flows.register(campaigns.FLOW)
