"""Issue 11: who may do what, for every persona and every kind of task, through the pages and the API alike.

One client (Acme) with two review regions. Its people: one per role (``RoleCode``), two region-scoped marketing
reviewers (EMEA, AMER), three external members (one bare, one who is also legal counsel, both given the EMEA asset
and the renewal case; one given nothing), and an outsider (agency admin of another client).

The work (columns of TASKS):

    legal, brand, mkt_emea, revise   the approval cycle of asset "Alpine hero", for EMEA (shared with externals)
    mkt_amer                         the marketing review of asset "Route 66 diner", a cycle for AMER
    ren_owner, ren_proc, ren_legal   the renewal case of the Alpine hero (owner, procurement, legal; shared)
    comp_cm                          a compliance case of the Route 66 diner (content operations)

Each cell lists what the persona may do with that task, in this order:

    S  see it (HTML: its decision page; API: GET /api/v1/tasks/{id}/)
    C  claim it
    D  decide it (HTML: the decision form; API: POST .../decision/)
    M  comment on its run (API: POST /api/v1/comments/; HTML: the asset page's form, which cases do not have)
    B  bulk approve it (HTML only; a task with no "approved" outcome cannot be, "-")

A capital letter is allowed, "." refused. Only the role signs (issue 11 item 1): claiming and deciding need one of
the task's candidate roles (in its region, for a region-scoped person), so the agency admin, who sees every task of
the client, claims and decides none of them without the role.

Every attempt runs in a savepoint rolled back afterwards, so each cell starts from the same state. A refusal is a
4xx (404 where the person may not see the thing), never a 500.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.db import transaction
from django.test import Client as HttpClient
from django.utils import timezone

from apps.accounts.services import create_api_token
from apps.assets.models import UsageEvent
from apps.common.roles import RoleCode
from apps.exceptions.models import Case
from apps.sharing import services as sharing
from apps.workflows.choices import RunStatus
from apps.workflows.models import Comment, Decision, Task, WorkflowRun
from tests.factories import ClientFactory, RegionFactory, member
from tests.reviews.factories import approval_run, licensed_asset

pytestmark = pytest.mark.django_db

TASKS = """
                   legal  brand  mkt_emea  mkt_amer  revise  ren_owner  ren_proc  ren_legal  comp_cm
requester          ...M.  ...M.  ...M.     ...M.     ...M.   ...M-      ...M-     ...M-      ...M-
reviewer           ...M.  ...M.  ...M.     ...M.     ...M.   ...M-      ...M-     ...M-      ...M-
reviewer_emea      ...M.  ...M.  SCDMB     ...M.     ...M.   ...M-      ...M-     ...M-      ...M-
reviewer_amer      ...M.  ...M.  ...M.     SCDMB     ...M.   ...M-      ...M-     ...M-      ...M-
legal              SCDMB  ...M.  ...M.     ...M.     ...M.   ...M-      ...M-     SCDM-      ...M-
brand              ...M.  SCDMB  ...M.     ...M.     ...M.   ...M-      ...M-     ...M-      ...M-
marketing          ...M.  ...M.  SCDMB     SCDMB     ...M.   ...M-      ...M-     ...M-      ...M-
content_owner      ...M.  ...M.  ...M.     ...M.     SCDM.   SCDM-      ...M-     ...M-      ...M-
procurement        ...M.  ...M.  ...M.     ...M.     ...M.   ...M-      SCDM-     ...M-      ...M-
content_manager    ...M.  ...M.  ...M.     ...M.     ...M.   ...M-      ...M-     ...M-      SCDM-
compliance         ...M.  ...M.  ...M.     ...M.     ...M.   ...M-      ...M-     ...M-      ...M-
product            ...M.  ...M.  ...M.     ...M.     ...M.   ...M-      ...M-     ...M-      ...M-
creative           ...M.  ...M.  ...M.     ...M.     ...M.   ...M-      ...M-     ...M-      ...M-
integrator         ...M.  ...M.  ...M.     ...M.     ...M.   ...M-      ...M-     ...M-      ...M-
agency_admin       S..M.  S..M.  S..M.     S..M.     S..M.   S..M-      S..M-     S..M-      S..M-
external           ...M.  ...M.  ...M.     .....     ...M.   ...M-      ...M-     ...M-      ....-
external_legal     SCDMB  ...M.  ...M.     .....     ...M.   ...M-      ...M-     SCDM-      ....-
external_unshared  .....  .....  .....     .....     .....   ....-      ....-     ....-      ....-
outsider           .....  .....  .....     .....     .....   ....-      ....-     ....-      ....-
"""

# What each persona sees beside tasks. usage_* is the API's usage-event list (no page lists usage events by
# themselves); members is the client's page listing its other members (the API lists none but the caller's own).
PAGES = """
                   asset_emea  asset_amer  case_renewal  case_compliance  usage_emea  usage_amer  members
requester          Y           Y           Y             Y                Y           Y           Y
reviewer           Y           Y           Y             Y                Y           Y           Y
reviewer_emea      Y           Y           Y             Y                Y           Y           Y
reviewer_amer      Y           Y           Y             Y                Y           Y           Y
legal              Y           Y           Y             Y                Y           Y           Y
brand              Y           Y           Y             Y                Y           Y           Y
marketing          Y           Y           Y             Y                Y           Y           Y
content_owner      Y           Y           Y             Y                Y           Y           Y
procurement        Y           Y           Y             Y                Y           Y           Y
content_manager    Y           Y           Y             Y                Y           Y           Y
compliance         Y           Y           Y             Y                Y           Y           Y
product            Y           Y           Y             Y                Y           Y           Y
creative           Y           Y           Y             Y                Y           Y           Y
integrator         Y           Y           Y             Y                Y           Y           Y
agency_admin       Y           Y           Y             Y                Y           Y           Y
external           Y           .           Y             .                Y           .           .
external_legal     Y           .           Y             .                Y           .           .
external_unshared  .           .           .             .                .           .           .
outsider           .           .           .             .                .           .           .
"""

ACTIONS = "SCDMB"
CHANNELS = ("html", "api")

PERSONAS: dict[str, tuple[str, list[str], list[str]]] = {
    # name: (client, roles, regions)
    "requester": ("acme", [RoleCode.REQUESTER], []),
    "reviewer": ("acme", [RoleCode.REVIEWER], []),
    "reviewer_emea": ("acme", [RoleCode.REVIEWER, RoleCode.MARKETING], ["emea"]),
    "reviewer_amer": ("acme", [RoleCode.MARKETING], ["amer"]),
    "legal": ("acme", [RoleCode.LEGAL], []),
    "brand": ("acme", [RoleCode.BRAND], []),
    "marketing": ("acme", [RoleCode.MARKETING], []),
    "content_owner": ("acme", [RoleCode.CONTENT_OWNER], []),
    "procurement": ("acme", [RoleCode.PROCUREMENT], []),
    "content_manager": ("acme", [RoleCode.CONTENT_MANAGER], []),
    "compliance": ("acme", [RoleCode.COMPLIANCE], []),
    "product": ("acme", [RoleCode.PRODUCT], ["amer"]),
    "creative": ("acme", [RoleCode.CREATIVE], []),
    "integrator": ("acme", [RoleCode.INTEGRATOR], []),
    "agency_admin": ("acme", [RoleCode.AGENCY_ADMIN], []),
    "external": ("acme", [RoleCode.EXTERNAL], []),
    "external_legal": ("acme", [RoleCode.EXTERNAL, RoleCode.LEGAL], []),
    "external_unshared": ("acme", [RoleCode.EXTERNAL], []),
    "outsider": ("beta", [RoleCode.AGENCY_ADMIN, RoleCode.COMPLIANCE], []),
}
SHARED_WITH = ("external", "external_legal")

# How each kind of task is decided (an outcome its BPMN declares, with a reason, no other input needed).
DECISIONS = {
    "legal": "approved",
    "brand": "approved",
    "mkt_emea": "approved",
    "mkt_amer": "approved",
    "revise": "resubmitted",
    "ren_owner": "take_down",
    "ren_proc": "not_renewed",
    "ren_legal": "signed_off",
    "comp_cm": "no_issue",
}
CASE_KINDS = {"ren_owner", "ren_proc", "ren_legal", "comp_cm"}


def _table(text: str) -> dict[str, dict[str, str]]:
    header, *rows = [line.split() for line in text.strip().splitlines()]
    return {row[0]: dict(zip(header, row[1:], strict=True)) for row in rows}


EXPECTED_TASKS = _table(TASKS)
EXPECTED_PAGES = _table(PAGES)
KINDS = list(DECISIONS)


def test_the_tables_cover_every_persona_and_kind():
    assert set(EXPECTED_TASKS) == set(PERSONAS) == set(EXPECTED_PAGES)
    held = {role for _client, roles, _regions in PERSONAS.values() for role in roles}
    assert held == set(RoleCode.values)  # every role has a row (a role added later needs one)
    for row in EXPECTED_TASKS.values():
        assert list(row) == KINDS
        assert all(len(cell) == len(ACTIONS) for cell in row.values())


# -- the world -------------------------------------------------------------------------------------------------------
@dataclass
class World:
    people: dict
    tasks: dict
    assets: dict
    cases: dict
    usage: dict


def _task(run, key, role, outcomes, regions=()):
    return Task.objects.create(
        client=run.client,
        run=run,
        remote_id=f"{run.business_key}:{key}",
        task_key=key,
        name=key.replace("_", " ").capitalize(),
        candidate_roles=[role],
        possible_outcomes=[[value, value] for value in outcomes],
        regions=list(regions),
        due_at=timezone.now() + timedelta(days=2),
    )


def _case(asset, kind, process_key):
    case = Case.objects.create(
        client=asset.client,
        kind=kind,
        asset=asset,
        key=f"{kind}:{asset.pk}",
        trigger="lapse" if kind == "renewal" else "over_limit",
        title=f"{kind.capitalize()} of {asset.name}",
        due_at=timezone.now() + timedelta(days=5),
    )
    run = WorkflowRun.objects.create(
        client=asset.client,
        process_key=process_key,
        business_key=f"acme:{process_key}:{case.pk}",
        subject_type="exceptions.case",
        subject_id=case.pk,
        title=case.title,
        status=RunStatus.RUNNING,
        remote_id=f"pi-{process_key}-{case.pk}",
    )
    return case, run


@pytest.fixture
def world(db) -> World:
    acme = ClientFactory(name="Acme Outdoor", slug="acme")
    beta = ClientFactory(name="Beta Brands", slug="beta")
    regions = {
        "emea": RegionFactory(code="emea", name="EMEA", countries=["DE", "FR", "GB"]),
        "amer": RegionFactory(code="amer", name="AMER", countries=["US", "CA"]),
    }
    people = {
        name: member(
            {"acme": acme, "beta": beta}[client],
            *roles,
            email=f"{name.replace('_', '-')}@{client}.example",
            regions=[regions[code] for code in codes],
        )
        for name, (client, roles, codes) in PERSONAS.items()
    }
    alpine = licensed_asset(acme, name="Alpine hero")
    diner = licensed_asset(acme, name="Route 66 diner")
    emea_run = approval_run(alpine, regions=["emea"])
    amer_run = approval_run(diner, regions=["amer"], countries=("US",))
    review = ["approved", "rejected", "changes_requested"]
    renewal, renewal_run = _case(alpine, "renewal", "rights_renewal")
    compliance, compliance_run = _case(diner, "compliance", "compliance_review")
    tasks = {
        "legal": _task(emea_run, "legal_review", "legal", review, ["emea"]),
        "brand": _task(emea_run, "brand_review", "brand", review, ["emea"]),
        "mkt_emea": _task(emea_run, "marketing_review", "marketing", review, ["emea"]),
        "mkt_amer": _task(amer_run, "marketing_review", "marketing", review, ["amer"]),
        "revise": _task(emea_run, "revise_asset", "content_owner", ["resubmitted", "withdrawn"], ["emea"]),
        "ren_owner": _task(renewal_run, "owner_decision", "content_owner", ["renew", "replace", "take_down"]),
        "ren_proc": _task(renewal_run, "procurement_renewal", "procurement", ["renewed", "not_renewed"]),
        "ren_legal": _task(renewal_run, "legal_signoff", "legal", ["signed_off", "refused"]),
        "comp_cm": _task(compliance_run, "investigate_content_manager", "content_manager", ["no_issue", "escalated"]),
    }
    usage = {
        name: UsageEvent.objects.create(
            client=acme,
            asset=asset,
            uuid=f"use-{name}",
            content_element_uuid=asset.content_element_uuid,
            event="download",
            user_email=f"downloader-{name}@acme.example",
            occurred_at=timezone.now() - timedelta(hours=1),
        )
        for name, asset in {"emea": alpine, "amer": diner}.items()
    }
    until = timezone.localdate() + timedelta(days=10)
    for name in SHARED_WITH:
        for subject in (alpine, renewal):
            sharing.share(subject, user=people[name], actor=people["legal"], until=until)
    return World(
        people=people,
        tasks=tasks,
        assets={"emea": alpine, "amer": diner},
        cases={"renewal": renewal, "compliance": compliance},
        usage=usage,
    )


# -- acting ----------------------------------------------------------------------------------------------------------
def _http(world: World, persona: str, channel: str) -> HttpClient:
    user = world.people[persona]
    if channel == "api":
        key = create_api_token(user, actor=user, name="matrix", scope="write").key
        return HttpClient(headers={"Authorization": f"Token {key}"})
    http = HttpClient()
    http.force_login(user)
    return http


def _decision_body(kind: str) -> dict:
    return {"outcome": DECISIONS[kind], "reason": "Checked for the matrix."}


def _attempt(http, channel, action, kind, task, user) -> tuple[bool, int]:
    """(whether the action took effect, the response's status)."""
    json = {"content_type": "application/json"}
    if action == "S":
        url = f"/api/v1/tasks/{task.pk}/" if channel == "api" else f"/tasks/{task.pk}/decide/"
        response = http.get(url)
        return response.status_code == 200, response.status_code
    if action == "C":
        url = f"/api/v1/tasks/{task.pk}/claim/" if channel == "api" else f"/tasks/{task.pk}/claim/"
        response = http.post(url, {}, **json) if channel == "api" else http.post(url, {})
        return Task.objects.filter(pk=task.pk, assignee=user).exists(), response.status_code
    if action == "D":
        if channel == "api":
            response = http.post(f"/api/v1/tasks/{task.pk}/decision/", _decision_body(kind), **json)
        else:
            response = http.post(f"/tasks/{task.pk}/decide/", _decision_body(kind))
        return Decision.objects.filter(task=task, actor=user).exists(), response.status_code
    if action == "M":
        if channel == "api":
            response = http.post("/api/v1/comments/", {"run": task.run_id, "body": "A remark."}, **json)
        else:
            response = http.post(f"/assets/{task.run.subject_id}/comment/", {"body": "A remark."})
        return Comment.objects.filter(run=task.run, author=user).exists(), response.status_code
    if action == "B":
        response = http.post("/tasks/approve/", {"task": [task.pk]})
        return Decision.objects.filter(task=task, actor=user).exists(), response.status_code
    raise AssertionError(action)


def _applies(channel: str, action: str, kind: str) -> bool:
    """Bulk approve is a page action only; cases have no comment form on their page (the API row covers them)."""
    if action == "B":
        return channel == "html"
    if action == "M" and channel == "html":
        return kind not in CASE_KINDS
    return True


def _act(world: World, persona: str, channel: str, cells) -> dict[tuple[str, str], str]:
    """The letter (allowed) or "." (refused) for each (kind, action) of ``cells``, each from the same start."""
    http = _http(world, persona, channel)
    user = world.people[persona]
    found, errors = {}, []
    for kind, action in cells:
        task = world.tasks[kind]
        savepoint = transaction.savepoint()
        try:
            done, status = _attempt(http, channel, action, kind, task, user)
        finally:
            transaction.savepoint_rollback(savepoint)
        found[kind, action] = action if done else "."
        if status >= 500 or (not done and status not in {302, 400, 403, 404, 409}):
            errors.append((kind, action, status))
    assert not errors, f"{persona} over {channel}: unexpected statuses {errors}"
    return found


def _expected(persona: str, kind: str, action: str) -> str:
    cell = EXPECTED_TASKS[persona][kind][ACTIONS.index(action)]
    return "." if cell == "-" else cell


def _render(cells: dict[tuple[str, str], str], persona: str, channel: str) -> str:
    row = []
    for kind in KINDS:
        row.append("".join(cells.get((kind, a), "·" if not _applies(channel, a, kind) else "?") for a in ACTIONS))
    return f"{persona:<18} " + "  ".join(row)


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("persona", list(PERSONAS))
def test_tasks(world, persona, channel):
    """Every task kind and action for one persona: allowed or refused as TASKS says."""
    cells = [(kind, action) for kind in KINDS for action in ACTIONS if _applies(channel, action, kind)]
    found = _act(world, persona, channel, cells)
    wanted = {(kind, action): _expected(persona, kind, action) for kind, action in cells}
    assert _render(found, persona, channel) == _render(wanted, persona, channel)


# -- what each persona sees beside tasks -----------------------------------------------------------------------------
def _sees(world: World, http, channel: str, column: str) -> bool | None:
    """Whether the persona sees the thing of ``column`` over ``channel``; ``None`` where the channel has no way to show
    it."""
    kind, _, which = column.partition("_")
    if kind == "asset":
        pk = world.assets[which].pk
        return http.get(f"/api/v1/assets/{pk}/" if channel == "api" else f"/assets/{pk}/").status_code == 200
    if kind == "case":
        pk = world.cases[which].pk
        return http.get(f"/api/v1/cases/{pk}/" if channel == "api" else f"/cases/{pk}/").status_code == 200
    if kind == "usage":
        if channel == "html":
            return None
        rows = http.get("/api/v1/usage-events/").json().get("results", [])
        return world.usage[which].uuid in {row["id"] for row in rows}
    if kind == "members":
        if channel == "api":
            return None
        response = http.get("/clients/acme/")
        return response.status_code == 200 and "requester@acme.example" in response.content.decode()
    raise AssertionError(column)


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("persona", list(PERSONAS))
def test_assets_cases_usage_and_members(world, persona, channel):
    http = _http(world, persona, channel)
    found, wanted = {}, {}
    for column, cell in EXPECTED_PAGES[persona].items():
        seen = _sees(world, http, channel, column)
        if seen is not None:
            found[column], wanted[column] = "Y" if seen else ".", cell
    assert found == wanted, persona
