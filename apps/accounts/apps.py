from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    verbose_name = "Accounts"

    def ready(self):
        from . import signals

        signals.connect()  # token lookups; the per-person cache's receivers connect on import
