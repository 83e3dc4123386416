from django.apps import AppConfig


class OnboardingConfig(AppConfig):
    name = "apps.onboarding"
    verbose_name = "Onboarding"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from apps.assets import events, pages
        from apps.workflows import flows

        from . import context_processors, services, views
        from .models import Onboarding

        flows.register(services.FLOW)
        events.on_ingest(services.onboard_new)
        pages.register("onboarding.onboarding", views.asset_onboarding)
        forget = context_processors.forget_open_counts  # the navigation's count of open runs, per person
        post_save.connect(forget, sender=Onboarding, dispatch_uid="onboarding_open_saved")
        post_delete.connect(forget, sender=Onboarding, dispatch_uid="onboarding_open_gone")
