"""Exception pages (flow 4): reporting a problem from an asset page, running detection on demand, the agency links
sent from a case page, and the agency's own page behind its link (no account: the case's asset and the remediation
form, nothing else; every use audited)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from apps.assets import holds, pages, rights
from apps.assets.models import Asset, LicensePurchase
from apps.clients.models import Client
from apps.common import links
from apps.common.http import whole_number
from apps.common.roles import RoleCode
from apps.workflows import services as workflows

from . import detection, policy, remediation
from .choices import Trigger
from .models import AgencyLink, Case

OPERATORS = {RoleCode.CONTENT_MANAGER, RoleCode.AGENCY_ADMIN}


def _internal_roles(user, client) -> set[str]:
    """The person's roles at ``client`` (from the membership list the request holds: no query); none for an external
    member or a non-member."""
    if not user.is_authenticated:
        return set()
    client_id = getattr(client, "pk", client)
    membership = next((m for m in user.membership_list if m.client_id == client_id), None)
    codes = set(membership.role_codes) if membership is not None else set()
    return set() if RoleCode.EXTERNAL in codes else codes


def may_report(user, asset: Asset) -> bool:
    """Any internal member of the asset's client may report a problem with it."""
    return bool(_internal_roles(user, asset.client))


def may_detect(user, client: Client) -> bool:
    """Operators (staff) and the client's content managers and agency admins run detection on demand."""
    return user.is_staff or bool(_internal_roles(user, client) & OPERATORS)


def asset_context(request, asset: Asset, cases: list[Case]) -> dict:
    """The asset page's exception part: its open holds, each with the case holding it and who acts next; whether
    the person may report a problem or run the checks."""
    from .views import _mark_who_acts_next

    open_holds = list(holds.open_holds(asset)) if asset.on_hold else []
    if open_holds:
        by_reference = {detection.hold_reference(case): case for case in cases}
        _mark_who_acts_next([case for case in cases if case.is_open])
        for hold in open_holds:
            hold.case = by_reference.get(hold.reference)
            hold.next_actors = getattr(hold.case, "next_actors", [])
    roles = _internal_roles(request.user, asset.client)  # one read for both questions
    return {
        "asset_holds": open_holds,
        "may_report": bool(roles) and asset.approval_state not in detection.SETTLED,
        "may_check": request.user.is_staff or bool(roles & OPERATORS),
    }


@login_required
@require_POST
def report_asset(request, pk: int):
    """A person reports a problem from the asset page: one report case per asset (the asset goes on hold)."""
    asset = get_object_or_404(Asset.objects.visible_to(request.user).select_related("client"), pk=pk)
    if not may_report(request.user, asset):
        raise PermissionDenied("Only the client's members report problems.")
    try:
        case = detection.report(asset, actor=request.user, reason=request.POST.get("reason", ""))
    except workflows.DecisionRefused as refused:
        licences = Prefetch("license_purchases", queryset=LicensePurchase.objects.prefetch_related("terms"))
        asset = Asset.objects.select_related("client").prefetch_related(licences).get(pk=asset.pk)
        rights.attach_limits([asset])
        context = pages.context(request, asset)
        context.update(report_error=str(refused), report_reason=request.POST.get("reason", ""))
        return render(request, "assets/asset_detail.html", context, status=400)
    messages.success(request, "Reported: the asset is on hold while content operations look at it.")
    return redirect(case.get_absolute_url())


@login_required
@require_POST
def check_asset(request, pk: int):
    """Run the client's exception rules on one asset now."""
    asset = get_object_or_404(Asset.objects.visible_to(request.user).select_related("client"), pk=pk)
    if not may_detect(request.user, asset.client):
        raise PermissionDenied("Only content managers and agency admins run the checks.")
    found = detection.detect_asset(asset)
    if found:
        messages.warning(request, f"{len(found)} problem{'s' if len(found) != 1 else ''} found: see the cases below.")
    else:
        messages.success(request, "No rule fires on this asset.")
    return redirect(asset.get_absolute_url())


@login_required
@require_POST
def detect_client(request, slug: str):
    """Run a client's exception rules over its whole library, in a worker (a library can be large)."""
    client = get_object_or_404(Client.objects.internal_to(request.user), slug=slug)
    if not may_detect(request.user, client):
        raise PermissionDenied("Only content managers and agency admins run the checks.")
    from django_q.tasks import async_task

    async_task("apps.exceptions.tasks.detect_exceptions_for", client.pk, task_name="exception rules")
    messages.success(request, f"The exception rules run over {client.name}'s library now; new cases appear here.")
    return redirect(f"{reverse('exceptions:case_list')}?kind=exception")


# -- agency links, from the case page -----------------------------------------------------------------------------
def _case(request, pk: int) -> Case:
    return get_object_or_404(Case.objects.visible_to(request.user).select_related("client", "asset"), pk=pk)


@login_required
@require_POST
def agency_link_create(request, pk: int):
    case = _case(request, pk)
    days = whole_number(str(request.POST.get("days") or remediation.LINK_DAYS))
    try:
        link = remediation.create_link(
            case, actor=request.user, agency=request.POST.get("agency", ""), days=days if days is not None else 0
        )
    except remediation.LinkRefused as refused:
        from .views import _case_context

        context = _case_context(request, case)
        context.update(link_error=str(refused), link_field=refused.field, link_values=request.POST)
        return render(request, "exceptions/case_detail.html", context, status=400)
    url = request.build_absolute_uri(reverse("exceptions:agency_page", args=[remediation.token_for(link)]))
    messages.success(request, f"Link for {link.agency}, valid until {link.expires_at:%d %b %Y}: {url}")
    return redirect(f"{case.get_absolute_url()}#agency-links")


@login_required
@require_POST
def agency_link_revoke(request, pk: int, link_id: int):
    case = _case(request, pk)
    link = get_object_or_404(AgencyLink.objects.filter(case=case), pk=link_id)
    try:
        remediation.revoke_link(link, actor=request.user)
    except remediation.LinkRefused as refused:
        raise PermissionDenied(str(refused)) from None
    messages.success(request, f"The link for {link.agency} no longer works.")
    return redirect(f"{case.get_absolute_url()}#agency-links")


def agency_links_context(request, case: Case) -> dict:
    """The case page's agency links (for those who may send them), with their URLs."""
    if not remediation.may_send_links(request.user, case):
        return {"agency_links": None}
    links = list(AgencyLink.objects.filter(case=case).order_by("-id")[:20])
    for link in links:
        link.url = request.build_absolute_uri(reverse("exceptions:agency_page", args=[remediation.token_for(link)]))
    return {"agency_links": links, "agency_task_open": remediation.agency_task(case) is not None}


# -- the agency's page, behind its link (no account) -------------------------------------------------------------
@never_cache
@require_http_methods(["GET", "POST"])
def agency_page(request, token: str):
    """Only that case's asset and the remediation form; a forged, revoked or expired link (or a closed case) shows
    a page that says it no longer works, and nothing else."""
    ip = request.META.get("REMOTE_ADDR", "")
    if links.blocked("agency", ip):
        return render(request, "exceptions/agency_gone.html", status=429)
    link = remediation.link_for(token)
    if link is None:
        links.missed("agency", ip)
        return render(request, "exceptions/agency_gone.html", status=404)
    case, asset = link.case, link.case.asset
    context = {
        "link": link,
        "case": case,
        "asset": asset,
        "metadata": remediation.current_metadata(asset),
        "waiting": remediation.agency_task(case) is not None,
        "values": {},
    }
    if request.method == "POST":
        try:
            finding = remediation.agency_submit(link, request.POST, request_ip=ip)
        except (remediation.LinkRefused, workflows.DecisionRefused) as refused:
            context.update(error=str(refused), error_field=refused.field, values=request.POST)
            return render(request, "exceptions/agency_page.html", context, status=400)
        return render(request, "exceptions/agency_done.html", {"link": link, "finding": finding})
    remediation.record_use(link, what="view", request_ip=ip)
    return render(request, "exceptions/agency_page.html", context)


# -- the client's exception policy --------------------------------------------------------------------------------
@login_required
@require_http_methods(["GET", "POST"])
def exception_policy(request, slug: str):
    """A client's exception policy (``policy``): agency admins change it, the client's other internal members read
    it; an external member or another client's person gets a 404. Errors are shown at their field, nothing saved."""
    client = get_object_or_404(Client.objects.internal_to(request.user), slug=slug)
    current = detection.policy_for(client)
    can_edit = policy.may_edit(request.user, client)
    values = {name: ", ".join(getattr(current, name)) for name in policy.LISTS} | {
        f"sla_{family}": (current.sla_hours or {}).get(family, "") for family in policy.SLA_FAMILIES
    }
    context = {"client": client, "policy": current, "can_edit": can_edit, "error": None, "error_field": None}
    status = 200
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied("Only the client's agency admins may change its exception policy.")
        values = {name: str(request.POST.get(name, "")) for name in values}
        changes = {name: values[name] for name in policy.LISTS}
        changes["sla_hours"] = {family: values[f"sla_{family}"].strip() for family in policy.SLA_FAMILIES}
        try:
            saved = policy.update_policy(client, actor=request.user, changes=changes, reason="Exception policy page")
        except policy.PolicyRefused as refused:
            context.update(error=str(refused), error_field=refused.field)
            status = 400
        else:
            changed = saved.updated_at != current.updated_at
            messages.success(
                request,
                f"The exception policy of {client.name} is saved; the next checks apply it."
                if changed
                else "Nothing changed.",
            )
            return redirect("exceptions:exception_policy", slug=client.slug)
    families = [(family, Trigger(family).label, values[f"sla_{family}"]) for family in policy.SLA_FAMILIES]
    context.update(values=values, families=families, seen=policy.seen_in_library(client))
    return render(request, "exceptions/exception_policy.html", context, status=status)


# -- an external member's correction of a case shared with them ---------------------------------------------------
@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def external_correction(request, pk: int):
    """The agency page for an external member (the ``external`` role) to whom an open exception case was shared
    (``apps.sharing``): that case's asset and the correction form (``remediation.member_submit``), nothing else.
    Any other case, a closed one, or a share revoked or ended is a 404; every view and submission is audited."""
    from apps.sharing.choices import SubjectType
    from apps.sharing.models import Share

    case = remediation.external_case(request.user, pk)
    if case is None:
        raise Http404("No such case.")
    share = Share.objects.active().filter(user=request.user, subject_type=SubjectType.CASE, subject_id=case.pk)
    context = {
        "case": case,
        "asset": case.asset,
        "metadata": remediation.current_metadata(case.asset),
        "waiting": remediation.agency_task(case) is not None,
        "values": {},
        "member": request.user,
        "share": share.order_by("-expires_at").first(),
    }
    if request.method == "POST":
        try:
            finding = remediation.member_submit(case, request.user, request.POST)
        except (remediation.LinkRefused, workflows.DecisionRefused) as refused:
            context.update(error=str(refused), error_field=refused.field, values=request.POST)
            return render(request, "exceptions/agency_page.html", context, status=400)
        return render(request, "exceptions/agency_done.html", {"finding": finding, "member": request.user})
    remediation.record_member_use(case, request.user, what="view")
    return render(request, "exceptions/agency_page.html", context)
