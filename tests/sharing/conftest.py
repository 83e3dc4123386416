"""A client whose external member was given one asset and one case: everything else of the client is out of sight."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.assets.models import UsageEvent
from apps.common.roles import RoleCode
from apps.exceptions.models import Case
from apps.sharing import services as sharing
from apps.workflows.choices import RunStatus
from apps.workflows.models import Comment, WorkflowRun
from tests.factories import member
from tests.reviews.factories import approval_run, licensed_asset, review_task

_n = iter(range(1, 10**6))


def usage(asset, email):
    return UsageEvent.objects.create(
        client=asset.client,
        asset=asset,
        uuid=f"use-{next(_n)}",
        content_element_uuid=asset.content_element_uuid,
        event="download",
        user_email=email,
        occurred_at=timezone.now() - timedelta(hours=1),
    )


def renewal_case(asset, title):
    case = Case.objects.create(
        client=asset.client,
        kind="renewal",
        asset=asset,
        key=f"lapse:{next(_n)}",
        trigger="lapse",
        title=title,
        due_at=timezone.now() + timedelta(days=5),
    )
    n = next(_n)
    run = WorkflowRun.objects.create(
        client=asset.client,
        process_key="rights_renewal",
        business_key=f"{asset.client.slug}:rights_renewal:{case.pk}:{n}",
        subject_type="exceptions.case",
        subject_id=case.pk,
        title=title,
        status=RunStatus.RUNNING,
        remote_id=f"pi-case-{n}",
    )
    return case, run


def comment(run, author, body):
    return Comment.objects.create(client=run.client, run=run, author=author, author_label=author.email, body=body)


@pytest.fixture
def world(client_a, client_b, legal, external):
    """Asset "Shared hero" and case "Shared case" (about another asset, "Secret hero") shared with ``external``;
    every other row of the client (the secret asset, its cycle, comments, usage, the shared asset's own case) is
    not. Client B has its own external member and shared asset."""
    shared = licensed_asset(client_a, name="Shared hero")
    secret = licensed_asset(client_a, name="Secret hero")
    shared_run, secret_run = approval_run(shared), approval_run(secret)
    shared_case, shared_case_run = renewal_case(secret, "Shared case")
    unshared_case, _ = renewal_case(shared, "Unshared case")
    objects = {
        "shared": shared,
        "secret": secret,
        "shared_run": shared_run,
        "secret_run": secret_run,
        "shared_case": shared_case,
        "shared_case_run": shared_case_run,
        "unshared_case": unshared_case,
        "shared_task": review_task(shared_run, "legal"),
        "secret_task": review_task(secret_run, "legal"),
        "case_task": review_task(shared_case_run, "legal"),
        "shared_comment": comment(shared_run, legal, "Shared remark"),
        "secret_comment": comment(secret_run, legal, "Secret remark"),
        "shared_usage": usage(shared, "downloader@acme.example"),
        "secret_usage": usage(secret, "secret-downloader@acme.example"),
    }
    until = timezone.localdate() + timedelta(days=10)
    objects["asset_share"] = sharing.share(shared, user=external, actor=legal, until=until)
    objects["case_share"] = sharing.share(shared_case, user=external, actor=legal, until=until)
    b_asset = licensed_asset(client_b, name="Beta hero")
    b_admin = member(client_b, RoleCode.AGENCY_ADMIN, email="boss@beta.example")
    b_external = member(client_b, RoleCode.EXTERNAL, email="external@beta.example")
    objects["b_share"] = sharing.share(b_asset, user=b_external, actor=b_admin, until=until)
    objects["b_asset"] = b_asset
    return objects
