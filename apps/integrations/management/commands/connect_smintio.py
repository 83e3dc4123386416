from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.clients.models import Client
from apps.integrations.connections import bootstrap
from apps.integrations.http import PlatformError


class Command(BaseCommand):
    help = "Connect a client to Smint.io without a browser, from a pre-issued refresh token (SMINTIO_REFRESH_TOKEN)."

    def add_arguments(self, parser):
        parser.add_argument("client", metavar="SLUG")
        parser.add_argument("--tenant", help="Smint.io tenant (default: the client's slug).")
        parser.add_argument(
            "--refresh-token-env",
            default="SMINTIO_REFRESH_TOKEN",
            help="Read the token from this setting/environment variable (never from the command line, which "
            "would leave it in shell history).",
        )

    def handle(self, *args, client, tenant, refresh_token_env, **options):
        import os

        token = os.environ.get(refresh_token_env) or getattr(settings, refresh_token_env, "")
        if not token:
            raise CommandError(f"Set {refresh_token_env} to the refresh token Smint.io issued.")
        target = Client.objects.filter(slug=client).first()
        if target is None:
            raise CommandError(f"No client with slug {client!r}.")
        try:
            connection = bootstrap(target, tenant=tenant or target.slug, refresh_token=token)
        except PlatformError as exc:
            raise CommandError(f"Smint.io refused the token: {exc}") from None
        self.stdout.write(self.style.SUCCESS(f"{target.name} is connected to Smint.io tenant {connection.tenant}."))
