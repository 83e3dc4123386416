"""Add a comment in the OpenText emulator as an OpenText user would in OpenText's own task application (not through
Greenlight), so the demo shows a comment typed in OpenText arriving in the portal's conversation."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Comment as --email in the OpenText emulator on --task ID, on --instance ID, or (neither) on the newest open "
        "task of the run with --business-key KEY, or of the newest run."
    )

    def add_arguments(self, parser):
        parser.add_argument("message")
        parser.add_argument("--email", required=True, help="The OpenText user who writes it.")
        parser.add_argument("--task", default="", help="An open task's id at OpenText.")
        parser.add_argument("--instance", default="", help="A process instance's id at OpenText.")
        parser.add_argument("--business-key", default="", help="The instance's business key (Greenlight's run).")

    def handle(self, *args, message, email, task, instance, business_key, **options):
        if not settings.EMULATORS:
            raise CommandError("EMULATORS is off: there is no OpenText emulator to comment in.")
        from apps.emulators.opentext import provisioning
        from apps.emulators.opentext.errors import OtError
        from apps.emulators.opentext.models import OtTask

        if not task and not instance:
            found = OtTask.objects.filter(end_time__isnull=True).order_by("-id")
            if business_key:
                found = found.filter(process_instance__business_key=business_key)
            first = found.first()
            if first is None:
                raise CommandError("No open task in the OpenText emulator to comment on.")
            task = str(first.public_id)
        try:
            comment = provisioning.comment_as_user(email=email, message=message, task_id=task, instance_id=instance)
        except (OtError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        where = (
            f"task {comment.task.public_id}" if comment.task_id else f"instance {comment.process_instance.public_id}"
        )
        self.stdout.write(f"OpenText emulator: {email} commented on {where} ({comment.public_id}).")
