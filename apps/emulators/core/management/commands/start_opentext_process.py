"""Start a process in the OpenText emulator as a business user would in OpenText's own applications (not through
Greenlight), so the demo shows a request started on OpenText's side; Greenlight's OpenText sync discovers it."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Start PROCESS_KEY in the OpenText emulator as --email, with --var name=value variables."

    def add_arguments(self, parser):
        parser.add_argument("process_key")
        parser.add_argument("--email", required=True, help="The business user who starts it.")
        parser.add_argument("--var", action="append", default=[], help="A process variable, name=value.")
        parser.add_argument("--name", default="", help="The instance's name.")

    def handle(self, *args, process_key, email, var, name, **options):
        if not settings.EMULATORS:
            raise CommandError("EMULATORS is off: there is no OpenText emulator to start a process in.")
        from apps.emulators.opentext import provisioning

        variables = {}
        for item in var:
            key, sep, value = item.partition("=")
            if not sep or not key.strip():
                raise CommandError(f"A variable is name=value; got {item!r}.")
            variables[key.strip()] = value
        instance = provisioning.start_as_business_user(
            settings.OT_TENANT_ID, process_key, email=email, variables=variables, name=name
        )
        self.stdout.write(f"OpenText emulator: {process_key} started by {email} ({getattr(instance, 'pk', '')}).")
