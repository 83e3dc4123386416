"""Demo data (issue 15, "Done when"): a comment typed in OpenText shows in the portal. Once a demo client's
approval cycles are at OpenText, its legal reviewer comments on one of its open review tasks *in the OpenText
emulator* (as in OpenText's own task application, through the ``opentext_comment`` command: the portal never
imports the emulators), and the run is mirrored, so the comment is in the asset's conversation, marked "in OpenText",
as soon as the demo opens. docs/integrations.md says how to type another by hand."""

from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import CommandError

DEMO_MESSAGE = "Checked in OpenText: the model release is in the shoot folder, fine for web use."


def seed_opentext_comment(client) -> str:
    """Comment as ``legal@<client slug>.example`` in OpenText on the client's newest open review task and pull it;
    once per client (a client with a comment from OpenText is left as it is). Returns what was done."""
    from apps.integrations.opentext.sync import mirror_run
    from apps.reviews.services import APPROVAL
    from apps.workflows.choices import TaskStatus
    from apps.workflows.models import Comment, CommentSource, Task

    if Comment.objects.filter(client=client, source=CommentSource.OPENTEXT).exists():
        return "already"
    task = (
        Task.objects.filter(
            run__client=client, run__process_key=APPROVAL, status=TaskStatus.OPEN, roles_key__contains=",legal,"
        )
        .select_related("run")
        .order_by("-id")
        .first()
    )
    if task is None:
        return "no open review task"
    try:
        call_command(
            "opentext_comment", DEMO_MESSAGE, email=f"legal@{client.slug}.example", task=task.remote_id, stdout=_Quiet()
        )
    except CommandError as exc:  # no emulator (EMULATORS off) or the task finished meanwhile
        return str(exc)
    mirror_run(task.run)
    return "commented"


class _Quiet:
    def write(self, *args, **kwargs) -> None:
        pass

    def flush(self) -> None:
        pass
