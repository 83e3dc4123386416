"""Prepare the in-process emulators for the demo: an OpenText tenant with every portal user in their role groups, a
seeded Smint.io tenant per client, each client connected to it, and a first pull queued for the worker."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.accounts.models import Membership
from apps.clients.models import Client, SmintioConnection
from apps.integrations import connections


class Command(BaseCommand):
    help = "Seed both emulators for the demo and connect every client to its Smint.io tenant (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=240, help="Assets per new Smint.io tenant.")
        parser.add_argument("--no-pull", action="store_true", help="Do not queue the first pulls.")

    def handle(self, *args, count, no_pull, **options):
        if not settings.EMULATORS:
            raise CommandError("EMULATORS is off: there is nothing to seed.")
        from apps.emulators.opentext import provisioning
        from apps.emulators.smintio import demo

        groups: dict[str, set[str]] = {}
        for email, role in Membership.objects.values_list("user__email", "roles__code"):
            groups.setdefault(email, set()).update({role} if role else set())
        provisioning.setup_tenant(
            settings.OT_TENANT_ID,
            name="Greenlight demo",
            client_id=settings.OT_CLIENT_ID,
            client_secret=settings.OT_CLIENT_SECRET,
            users=[{"email": email, "groups": sorted(roles)} for email, roles in sorted(groups.items())],
        )
        self.stdout.write(f"OpenText emulator: tenant {settings.OT_TENANT_ID} with {len(groups)} users.")
        queued = []
        for client in Client.objects.order_by("name"):
            connection = SmintioConnection.objects.filter(client=client).first()
            if connection is not None and connection.is_usable:
                continue
            boot = demo.bootstrap(client.slug, name=client.name, count=count)
            connection = connections.bootstrap(
                client, tenant=client.slug, refresh_token=boot.refresh_token, verify=False
            )
            seeded = boot.summary.content_elements if boot.summary else 0
            self.stdout.write(f"Smint.io emulator: {client.name} connected to tenant {client.slug} ({seeded} assets).")
            queued.append(connection.pk)
        if queued and not no_pull:
            from django_q.tasks import async_task

            for connection_id in queued:
                async_task("apps.integrations.tasks.pull_smintio", connection_id, True, task_name="first pull")
            self.stdout.write("First pulls are queued; the worker runs them as soon as it starts.")
