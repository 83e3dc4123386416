# A task carries the set of regions its work is for (issue 11, item 2), where it had one region or none.

from collections import defaultdict

from django.db import migrations, models


def _key(codes):
    return "," + ",".join(sorted(set(codes))) + "," if codes else ""


def forward(apps, schema_editor):
    """A task with a region keeps it; a task without one takes its run's intended regions (the cycles of a client
    that reviews several regions had none, and so were everyone's)."""
    Task = apps.get_model("workflows", "Task")
    WorkflowRun = apps.get_model("workflows", "WorkflowRun")
    for region in Task.objects.exclude(region="").values_list("region", flat=True).distinct():
        Task.objects.filter(region=region).update(regions=[region], regions_key=_key([region]))
    runs_by_regions = defaultdict(list)
    runs = WorkflowRun.objects.filter(tasks__region="").distinct().values_list("pk", "variables")
    for pk, variables in runs.iterator(chunk_size=2000):
        codes = (variables or {}).get("intendedRegions") or []
        if isinstance(codes, list) and codes and all(isinstance(code, str) for code in codes):
            runs_by_regions[tuple(sorted(set(codes)))].append(pk)
    for codes, run_ids in runs_by_regions.items():
        for start in range(0, len(run_ids), 500):
            Task.objects.filter(run_id__in=run_ids[start : start + 500], region="").update(
                regions=list(codes), regions_key=_key(codes)
            )


def backward(apps, schema_editor):
    Task = apps.get_model("workflows", "Task")
    for task in Task.objects.exclude(regions_key="").only("pk", "regions").iterator(chunk_size=2000):
        Task.objects.filter(pk=task.pk).update(region=task.regions[0] if len(task.regions) == 1 else "")


class Migration(migrations.Migration):
    dependencies = [
        ("workflows", "0004_decision_applied_run_missing"),
    ]

    operations = [
        migrations.AddField(
            model_name="task",
            name="regions",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text="Codes of the regions the task's work is for (its run's intended use); empty: not regional.",
            ),
        ),
        migrations.AddField(
            model_name="task",
            name="regions_key",
            field=models.CharField(blank=True, max_length=300),
        ),
        migrations.RunPython(forward, backward),
        migrations.RemoveField(
            model_name="task",
            name="region",
        ),
    ]
