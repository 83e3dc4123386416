from django.apps import AppConfig


class AssetsConfig(AppConfig):
    name = "apps.assets"
    verbose_name = "Assets"

    def ready(self) -> None:
        from apps.sharing import services as sharing

        from .models import Asset

        sharing.register_subject(Asset)
