from django.core.management.base import BaseCommand, CommandError

from apps.integrations.http import PlatformError
from apps.integrations.opentext.sync import reconcile


class Command(BaseCommand):
    help = "Reconcile every open workflow run with OpenText now (tasks, assignees, comments, ends)."

    def handle(self, *args, **options):
        try:
            counts = reconcile()
        except PlatformError as exc:
            raise CommandError(str(exc)) from None
        summary = ", ".join(f"{count} {name}" for name, count in sorted(counts.items())) or "nothing open"
        self.stdout.write(self.style.SUCCESS(f"Reconciled: {summary}."))
