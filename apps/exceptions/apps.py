from django.apps import AppConfig


class ExceptionsConfig(AppConfig):
    name = "apps.exceptions"
    verbose_name = "Cases"

    def ready(self) -> None:
        from apps.assets import events, pages
        from apps.sharing import services as sharing
        from apps.workflows import flows

        from . import compliance, detection, remediation, services, views
        from .models import Case

        flows.register(services.FLOW)
        flows.register(compliance.FLOW)
        flows.register(remediation.FLOW)
        events.on_synced(services.sweep_client)
        events.on_synced(compliance.detect_client)
        events.on_synced(detection.sweep_client)
        events.on_usage(compliance.detect_soon)
        pages.register("exceptions.cases", views.asset_cases)
        sharing.register_subject(Case)
