from django.apps import AppConfig


class CreativeConfig(AppConfig):
    name = "apps.creative"
    verbose_name = "Creative requests"

    def ready(self) -> None:
        from apps.workflows import flows

        from . import flows as creative

        flows.register(creative.FLOW)
        creative.connect()
