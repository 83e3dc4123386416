from django.core.management.base import BaseCommand, CommandError

from apps.clients.models import ConnectionStatus, SmintioConnection
from apps.integrations.http import PlatformError
from apps.integrations.smintio.sync import PullReport, SyncBusy, pull


class Command(BaseCommand):
    help = "Pull Smint.io now for one client or every connected client, showing progress."

    def add_arguments(self, parser):
        parser.add_argument("--client", metavar="SLUG", help="Only this client.")
        parser.add_argument("--full", action="store_true", help="Re-read from the start and refresh vocabularies.")

    def handle(self, *args, client, full, **options):
        connections = SmintioConnection.objects.select_related("client").filter(status=ConnectionStatus.CONNECTED)
        if client:
            connections = connections.filter(client__slug=client)
            if not connections.exists():
                raise CommandError(f"No connected Smint.io connection for client {client!r}.")
        failures = 0
        for connection in connections:
            self.stdout.write(f"{connection.client.name} ({connection.tenant}){' full' if full else ''}:")

            def progress(report: PullReport) -> None:
                self.stdout.write(
                    f"  page {report.pages}: {report.received} received, {report.created} new, "
                    f"{report.updated} changed, {report.unchanged} unchanged, {report.cancelled} cancelled, "
                    f"{report.binaries} binaries"
                )

            try:
                report = pull(connection, full=full, progress=progress)
            except SyncBusy as exc:
                self.stdout.write(self.style.WARNING(f"  skipped: {exc}"))
                continue
            except PlatformError as exc:
                failures += 1
                self.stderr.write(self.style.ERROR(f"  failed: {exc}"))
                continue
            from apps.assets import events

            events.pulled(connection.client, report.changed_asset_ids)  # e.g. approval cycles for new assets
            self.stdout.write(
                self.style.SUCCESS(
                    f"  done in {report.seconds:.1f} s: {report.received} licence purchases, "
                    f"{report.usage_events} new usage events"
                )
            )
        if failures:
            raise CommandError(f"{failures} connection(s) failed; see the sync log.")
