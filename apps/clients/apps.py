from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "apps.clients"
    verbose_name = "Clients"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from apps.common import user_cache

        from . import topbar
        from .models import Client, SmintioConnection

        def forget(sender, **kwargs):
            # every member's membership list carries its client (name, slug, settings): apps.accounts.backends;
            # the top bar's Smint.io state its name
            user_cache.forget_everyone()
            topbar.forget()

        def forget_connection(sender, **kwargs):
            topbar.forget()

        post_save.connect(forget, sender=Client, dispatch_uid="user_cache_client_saved", weak=False)
        post_delete.connect(forget, sender=Client, dispatch_uid="user_cache_client_deleted", weak=False)
        post_save.connect(forget_connection, sender=SmintioConnection, dispatch_uid="topbar_saved", weak=False)
        post_delete.connect(forget_connection, sender=SmintioConnection, dispatch_uid="topbar_deleted", weak=False)
