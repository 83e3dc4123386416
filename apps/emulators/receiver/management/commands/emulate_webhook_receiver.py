"""Set up an integrator's webhook receiver in the emulator: its slug and the secret it verifies with (the demo
gives it the secret of the demo endpoint; add ``--keep`` during a rotation so both secrets verify)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Create or update the emulated webhook receiver SLUG (at /emulators/receiver/SLUG/) with --secret."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--secret", required=True, help="A whsec_... secret the receiver verifies with.")
        parser.add_argument("--keep", action="store_true", help="Keep the secrets it already holds (a rotation).")

    def handle(self, *args, slug, secret, keep, **options):
        if not settings.EMULATORS:
            raise CommandError("EMULATORS is off: there is no receiver emulator.")
        from apps.emulators.receiver.models import Receiver

        receiver, _ = Receiver.objects.get_or_create(slug=slug)
        receiver.secrets = [*(receiver.secrets if keep else []), secret]
        receiver.save(update_fields=["secrets"])
        self.stdout.write(f"{settings.EMULATOR_ROOT}/receiver/{slug}/")
