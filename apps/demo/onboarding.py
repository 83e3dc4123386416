"""Demo onboarding policies (flow 6) and the demo's worked examples of flows 4 and 6.

Both demo clients onboard the content their DAMs ingest into Smint.io (the emulator's demo library has Bynder and
Brandfolder assets, licence type ``in_house``), so after the first pull of ``make run`` those assets are held and
their onboarding runs wait for the content managers. Northwind runs the three tasks one after the other and sends a
published asset on to approval; Contoso runs them at once and publishes it approved.

A schedule of the worker (:func:`advance_demo`, every minute until done, then it removes itself) then brings the
demo to where every path can be shown, through the people's real decisions settled by the OpenText emulator:

- **onboarding at each step**: of each client's open runs, the oldest has its enrichment decided (so legal's rights
  validation waits, or in parallel the other two), the next its enrichment and rights (so categorisation waits);
  the rest wait at enrichment;
- **exceptions of every cause from the start**: the editorial-only and the release rules fire only on approved
  assets, so the reviewers approve one editorial-only asset (and, for Northwind, which approves for advertising,
  one without a model release) once the walkthrough's approvals are in (``apps.demo.creative``), and the rules are
  run on them. The missing-metadata, cancelled-licence and licence-type causes open at the first pull already.

Each of them can then be worked to published, cleared or removed in the portal, and the result read in the Smint.io
emulator (``/emulators/smintio/_emulator/tenants/<tenant>/content-elements/<uuid>/workflow-status`` and
``.../metadata-updates``).
"""

from __future__ import annotations

from apps.clients.models import Client
from apps.onboarding.choices import Shape
from apps.onboarding.models import OnboardingPolicy

POLICIES = {
    "northwind": {"sources": ["bynder", "brandfolder"], "approval_after": True, "shape": Shape.SEQUENTIAL},
    "contoso": {"sources": ["bynder", "brandfolder", "in_house"], "approval_after": False, "shape": Shape.PARALLEL},
}
ADVANCE_JOB = "apps.demo.onboarding.advance_demo"
ADVANCE_SCHEDULE = "demo.advance_onboarding_and_exceptions"
REASON = "Demo data: worked so that every step can be shown."
# of the open runs, oldest first: which tasks the demo decides (the rest wait at enrichment)
STEPS = (("enrich_metadata",), ("enrich_metadata", "validate_rights"))
RIGHTS = {"ownership": "owned", "territories": "geography_worldwide", "usages": ["usage_web", "usage_print"]}
APPROVAL_ROLES = ("legal", "brand", "marketing")


def seed_onboarding_policies() -> None:
    """Idempotent: each demo client's policy is set to the one above."""
    for slug, policy in POLICIES.items():
        client = Client.objects.filter(slug=slug).first()
        if client is not None:
            OnboardingPolicy.objects.update_or_create(client=client, defaults=policy)


def queue_advance() -> None:
    from django_q.models import Schedule

    Schedule.objects.update_or_create(
        name=ADVANCE_SCHEDULE,
        defaults={"func": ADVANCE_JOB, "schedule_type": Schedule.MINUTES, "minutes": 1, "repeats": -1},
    )


def advance_demo() -> dict:
    """Schedule (demo only): advance each demo client's onboarding runs and approve its exception examples; the
    schedule ends when every client is done."""
    from django_q.models import Schedule

    report = {}
    for slug in POLICIES:
        client = Client.objects.filter(slug=slug).first()
        if client is None:
            report[slug] = "no client"
            continue
        report[slug] = {"onboarding": advance_onboarding(client), "exceptions": open_exception_examples(client)}
    if all(isinstance(r, dict) and r["onboarding"] == r["exceptions"] == "done" for r in report.values()):
        Schedule.objects.filter(name=ADVANCE_SCHEDULE).delete()
    return report


def _person(client, persona: str):
    from apps.accounts.models import User

    return User.objects.filter(email=f"{persona}@{client.slug}.example").first()


def advance_onboarding(client) -> str:
    """Decide, through the client's content manager and legal, the tasks of ``STEPS`` on its oldest open runs that
    pass the client's required metadata; "done" once each of those runs has them decided, else why it waits."""
    from apps.assets.models import Asset
    from apps.onboarding import services as onboarding
    from apps.workflows import services as workflows
    from apps.workflows.choices import TaskStatus
    from apps.workflows.models import Task, WorkflowRun

    runs = list(
        WorkflowRun.objects.filter(client=client, process_key=onboarding.PROCESS)
        .filter(pk__in=Task.objects.filter(client=client).values("run"))
        .order_by("pk")
    )
    marked = [run for run in runs if run.decisions.filter(reason=REASON).exists()]
    candidates = marked + [run for run in runs if run not in marked and run.status in ("starting", "running")]
    if len(runs) < len(STEPS) + 1:
        return "waiting for the first pull and its onboarding runs at OpenText"
    people = {"content_manager": _person(client, "content-manager"), "legal": _person(client, "legal")}
    placed = 0
    for run in candidates:
        if placed == len(STEPS):
            break
        wanted = STEPS[placed]
        decided = set(run.tasks.filter(status=TaskStatus.COMPLETED).values_list("task_key", flat=True))
        if set(wanted) <= decided:
            placed += 1
            continue
        task = run.tasks.filter(status=TaskStatus.OPEN, task_key__in=wanted).exclude(task_key__in=decided).first()
        if task is None:
            return "waiting for OpenText to open the next task"
        actor = people["legal" if task.task_key == onboarding.RIGHTS else "content_manager"]
        if actor is None:
            return "no demo content manager or legal"
        asset = Asset.objects.get(pk=run.subject_id)
        inputs = RIGHTS if task.task_key == onboarding.RIGHTS else _enrichment(asset, onboarding)
        try:
            workflows.decide(
                task, actor=actor, outcome=_outcome(task), reason=REASON, inputs=onboarding.read_inputs(inputs)
            )
        except workflows.DecisionRefused:
            if task.task_key == onboarding.ENRICH and not decided:
                continue  # its metadata cannot pass the client's requirements here: the next run takes its place
            return f"refused on {run.title}"
        except workflows.InvalidTransition:
            return "waiting: a task changed meanwhile"
        return "advancing"
    return "done" if placed == len(STEPS) else "waiting for runs whose metadata can pass"


def _outcome(task) -> str:
    return {"enrich_metadata": "enriched", "validate_rights": "rights_valid"}[task.task_key]


def _enrichment(asset, onboarding) -> dict:
    keywords = list(asset.keywords or []) or onboarding.suggestions(asset, limit=3) or ["demo"]
    return {"name": asset.name or asset.content_element_uuid, "description": asset.description, "keywords": keywords}


def exception_examples(client) -> list[tuple[str, object]]:
    """(cause, asset) of the client's exception examples: an editorial-only asset in review, and for a client that
    approves for advertising one without a model release; each with an open approval cycle at OpenText."""
    from apps.assets.choices import ApprovalState
    from apps.assets.models import Asset
    from apps.exceptions.detection import ADVERTISING, NOT_RELEASED

    in_review = (
        Asset.objects.filter(client=client, approval_state=ApprovalState.IN_REVIEW, on_hold=False)
        .filter(pk__in=_open_cycle_subjects(client))
        .order_by("pk")
    )
    chosen = []
    editorial = in_review.filter(is_editorial=True).first()
    if editorial is not None:
        chosen.append(("editorial_commercial", editorial))
    if ADVERTISING in (client.review_usages or []):
        unreleased = next(
            (a for a in in_review.exclude(is_editorial=True)[:500] if _model_release(a) == NOT_RELEASED), None
        )
        if unreleased is not None:
            chosen.append(("release_advertising", unreleased))
    return chosen


def _model_release(asset) -> str | None:
    return ((asset.metadata or {}).get("release_details") or {}).get("model_release_state")


def _open_cycle_subjects(client):
    from apps.reviews.services import APPROVAL
    from apps.workflows.choices import TaskStatus
    from apps.workflows.models import Task

    return Task.objects.filter(
        client=client, status=TaskStatus.OPEN, run__process_key=APPROVAL, run__subject_type="assets.asset"
    ).values("run__subject_id")


def open_exception_examples(client) -> str:
    """Approve the client's exception examples through its reviewers (after the walkthrough's approvals, which
    stop once the client has an approved asset), then run the rules: "done" once their cases are open."""
    from apps.assets.choices import ApprovalState
    from apps.assets.models import Asset
    from apps.exceptions import detection
    from apps.exceptions.choices import CaseKind
    from apps.exceptions.models import Case
    from apps.reviews.services import APPROVAL
    from apps.workflows import services as workflows
    from apps.workflows.choices import TaskStatus
    from apps.workflows.models import Decision, Task

    ours = Decision.objects.filter(reason=REASON, task__run__process_key=APPROVAL, task__client=client)
    subjects = set(ours.values_list("task__run__subject_id", flat=True))
    if subjects:
        cases = Case.objects.filter(client=client, kind=CaseKind.EXCEPTION, asset_id__in=subjects)
        if cases.exists():
            return "done"
        if Asset.objects.filter(pk__in=subjects, approval_state=ApprovalState.APPROVED).exists():
            detection.sweep(client=client)
            return "done" if cases.exists() else "approved, but no rule fired"
        still_open = Task.objects.filter(
            run__subject_id__in=subjects, run__process_key=APPROVAL, status=TaskStatus.OPEN
        )
        if not still_open.exists():
            return "waiting for OpenText to complete the approvals"
    if not Asset.objects.filter(client=client, approval_state=ApprovalState.APPROVED).exists():
        return "waiting for the walkthrough's approvals"
    examples = exception_examples(client) if not subjects else [("", Asset.objects.get(pk=pk)) for pk in subjects]
    if not examples:
        return "done"  # nothing in the library to show these causes with
    for _cause, asset in examples:
        for task in Task.objects.filter(
            run__subject_id=asset.pk, run__process_key=APPROVAL, status=TaskStatus.OPEN
        ).order_by("pk"):
            role = next((r for r in task.candidate_roles if r in APPROVAL_ROLES), None)
            actor = _person(client, role) if role else None
            if actor is None:
                continue
            try:
                workflows.decide(task, actor=actor, outcome="approved", reason=REASON)
            except workflows.InvalidTransition:
                continue
    return "approving"
