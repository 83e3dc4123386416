from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data for the embedded default (``manage.py seed_demo``): it wires every app together, so it sits above
    all of them in the layers (docs/architecture.md, "Layers") and nothing imports it."""

    name = "apps.demo"
    verbose_name = "Demo data"
