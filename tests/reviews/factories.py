"""Review-flow data built directly (no platform): an asset with a licence, a running approval run, its tasks."""

from datetime import timedelta

from django.utils import timezone

from apps.assets.choices import ApprovalState, LicenseState, RightsState
from apps.assets.models import Asset, LicensePurchase, LicenseTerm
from apps.workflows.choices import RunStatus
from apps.workflows.models import Task, WorkflowRun

OUTCOMES = [["Approve", "approved"], ["Reject", "rejected"], ["Request changes", "changes_requested"]]
_counter = iter(range(1, 10**9))


def licensed_asset(
    client,
    *,
    name="Alpine hero",
    geographies=("geography_worldwide",),
    restricted_geographies=(),
    usages=("usage_web",),
    editorial=False,
    valid_days=400,
    approval=ApprovalState.IN_REVIEW,
    rights=RightsState.VALID,
):
    n = next(_counter)
    valid_until = timezone.now() + timedelta(days=valid_days)
    asset = Asset.objects.create(
        client=client,
        content_element_uuid=f"el-{n}",
        name=name,
        provider="getty",
        approval_state=approval,
        rights_state=rights,
        rights_until=valid_until if rights == RightsState.VALID else None,  # as refresh_rights would set it
    )
    lpt = LicensePurchase.objects.create(
        client=client,
        asset=asset,
        uuid=f"lpt-{n}",
        state=LicenseState.COMPLETED,
        version=1,
        license_type="royalty_free",
    )
    LicenseTerm.objects.create(
        license_purchase=lpt,
        sequence_number=1,
        name="Standard",
        allowed_geographies=list(geographies),
        restricted_geographies=list(restricted_geographies),
        allowed_usages=list(usages),
        valid_until=valid_until,
        is_editorial_use=editorial,
    )
    return asset


def approval_run(
    asset, *, region="", regions=(), countries=("DE", "FR"), usages=("usage_web",), use_days=300, source="request"
):
    """A running approval cycle; ``region``/``regions``: the regions it is for (``intendedRegions``); ``source``:
    where its intended use comes from (``request`` or ``campaign``: the countries and usages given; ``licence``: a
    plain cycle, which carries none)."""
    n = next(_counter)
    regions = sorted({*regions, *([region] if region else [])})
    return WorkflowRun.objects.create(
        client=asset.client,
        process_key="asset_approval",
        business_key=f"{asset.client.slug}:asset_approval:{asset.pk}:{n}",
        subject_type="assets.asset",
        subject_id=asset.pk,
        title=asset.name,
        status=RunStatus.RUNNING,
        remote_id=f"pi-{n}",
        variables={
            "intendedRegions": regions,
            "intendedUseSource": source,
            **({} if source == "licence" else {"intendedCountries": list(countries), "intendedUsages": list(usages)}),
            "useUntil": (timezone.localdate() + timedelta(days=use_days)).isoformat(),
        },
    )


def review_task(run, role="legal", *, region="", regions=None, assignee=None, due_in_hours=24):
    """A task of ``run`` for ``role``; its regions are the run's unless ``region``/``regions`` say otherwise."""
    n = next(_counter)
    if regions is None:
        regions = [region] if region else list(run.variables.get("intendedRegions") or [])
    return Task.objects.create(
        client=run.client,
        run=run,
        remote_id=f"task-{n}",
        task_key=f"{role}Review",
        name=f"{role.capitalize()} review",
        candidate_roles=[role],
        possible_outcomes=OUTCOMES,
        regions=list(regions),
        assignee=assignee,
        assignee_email=assignee.email if assignee else "",
        due_at=timezone.now() + timedelta(hours=due_in_hours),
    )
