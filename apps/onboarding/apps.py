from django.apps import AppConfig


class OnboardingConfig(AppConfig):
    name = "apps.onboarding"
    verbose_name = "Onboarding"

    def ready(self) -> None:
        from apps.assets import events, pages
        from apps.workflows import flows

        from . import services, views

        flows.register(services.FLOW)
        events.on_ingest(services.onboard_new)
        pages.register("onboarding.onboarding", views.asset_onboarding)
