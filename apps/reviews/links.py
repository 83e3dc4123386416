"""Review links (issue 15, item 7): a member of a client sends a client stakeholder, who has no account, a signed,
expiring, revocable link to review exactly the assets sent (``ReviewLink``).

Through the link the holder sees each asset's preview and licence in plain words, and decides the asset's open
stakeholder step: a task whose candidate group is ``external`` (``workflows.services.HOLDER_GROUP``) in any flow
about the asset. The decision takes the one decision path (``workflows.services.decide_as_holder``: outcomes,
reasons, the flow's checks, one completion at OpenText, one write-back to Smint.io) in the holder's name; a comment
joins the asset's conversation. Every view, decision and comment is audited on the asset with the holder's name
(``reviews.link.*``). A forged, revoked or expired link opens nothing (``link_for``); tokens that open nothing are
counted per address (``apps.common.links``), so ids cannot be walked.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.assets import rights
from apps.assets.models import Asset
from apps.audit import services as audit
from apps.common.http import whole_number
from apps.common.links import SignedLinks, new_nonce
from apps.sharing.services import can_share
from apps.workflows import services as workflows
from apps.workflows.choices import TaskStatus
from apps.workflows.models import Task, WorkflowRun

from .models import ReviewLink

LINKS = SignedLinks("greenlight.reviews.review-link")
LINK_DAYS = 14
MAX_LINK_DAYS = 60
MAX_ASSETS = 50
ASSET_TYPE = "assets.asset"


class LinkRefused(Exception):
    def __init__(self, message: str, *, field: str = "form"):
        super().__init__(message)
        self.field = field


def may_send(user, client) -> bool:
    """The client's own (internal) members send review links; an external member cannot pass on what they got."""
    return bool(getattr(user, "is_authenticated", False)) and can_share(user, client)


def token_for(link: ReviewLink) -> str:
    return LINKS.token(link)


def create_link(*, actor, name: str, email: str, assets, days: int = LINK_DAYS) -> ReviewLink:
    """A link for ``name`` <``email``> to review ``assets`` (ids of one client's assets ``actor`` sees) for
    ``days`` days; refused (``LinkRefused`` naming the field) otherwise."""
    name = workflows.clean_text(name, what="The name", field="name")[:200]
    email = workflows.clean_text(email, what="The e-mail", field="email").lower()
    if not name:
        raise LinkRefused("Say who the link is for (their name).", field="name")
    if "@" not in email or len(email) > 254 or " " in email:
        raise LinkRefused("Give the stakeholder's e-mail address: their decisions carry it.", field="email")
    if not 1 <= days <= MAX_LINK_DAYS:
        raise LinkRefused(f"A link lasts 1 to {MAX_LINK_DAYS} days.", field="days")
    ids = sorted({n for n in (whole_number(str(pk)) for pk in assets) if n is not None})
    if not ids:
        raise LinkRefused("Choose the assets to send.", field="assets")
    if len(ids) > MAX_ASSETS:
        raise LinkRefused(f"A link sends at most {MAX_ASSETS} assets.", field="assets")
    chosen = list(Asset.objects.visible_to(actor).select_related("client").filter(pk__in=ids))
    if len(chosen) != len(ids):
        raise LinkRefused("Some of the assets are not among the assets you may see.", field="assets")
    if len({asset.client_id for asset in chosen}) > 1:
        raise LinkRefused("A link sends one client's assets: choose assets of the same client.", field="assets")
    client = chosen[0].client
    if not may_send(actor, client):
        raise LinkRefused("Only the client's own members send review links.", field="assets")
    now = timezone.now()
    with transaction.atomic():
        link = ReviewLink.objects.create(
            client=client,
            holder_name=name,
            holder_email=email,
            nonce=new_nonce(),
            created_by=actor,
            created_at=now,
            expires_at=now + timedelta(days=days),
        )
        link.assets.set(chosen)
        for asset in chosen:
            audit.record(
                "reviews.link.create",
                actor=actor,
                client=client,
                obj=asset,
                after={"link": link.pk, "holder": name, "email": email, "expires_at": link.expires_at.isoformat()},
            )
    return link


def revoke_link(link: ReviewLink, *, actor) -> bool:
    if not may_send(actor, link.client):
        raise LinkRefused("Only the client's own members revoke review links.")
    with transaction.atomic():
        revoked = ReviewLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_by=actor
        )
        if revoked:
            for asset in link.assets.all():
                audit.record(
                    "reviews.link.revoke",
                    actor=actor,
                    client=link.client,
                    obj=asset,
                    after={"link": link.pk, "holder": link.holder_name},
                )
    return bool(revoked)


def link_for(token: str) -> ReviewLink | None:
    """The active link of ``token``; ``None``: forged, revoked or expired."""
    return LINKS.find(ReviewLink.objects.select_related("client"), token)


def holder_of(link: ReviewLink) -> workflows.LinkHolder:
    return workflows.LinkHolder(email=link.holder_email, name=link.holder_name)


def record_use(link: ReviewLink, *, what: str, asset: Asset | None = None, request_ip: str = "", **after) -> None:
    """One use of the link, audited with the holder's name (on each asset it concerns) and counted on the link."""
    ReviewLink.objects.filter(pk=link.pk).update(uses=F("uses") + 1, last_used_at=timezone.now())
    label = f"{link.holder_name} <{link.holder_email}> (review link)"
    details = {"link": link.pk, "holder": link.holder_name, **after, **({"ip": request_ip} if request_ip else {})}
    for subject in [asset] if asset is not None else list(link.assets.all()):
        audit.record(f"reviews.link.{what}", actor_label=label, client=link.client, obj=subject, after=details)


def items(link: ReviewLink) -> list[Asset]:
    """The assets the link shows, each with ``step`` (its open stakeholder task, or ``None``), ``licence`` (plain
    words) and ``last_decision`` (the holder's last decision through the link, if any)."""
    assets = list(
        link.assets.select_related("client").prefetch_related("license_purchases__terms").order_by("name", "pk")
    )
    steps = {task.run.subject_id: task for task in _open_steps([a.pk for a in assets])}
    words = rights.vocabulary_for(link.client)
    for asset in assets:
        asset.step = steps.get(asset.pk)
        asset.licence = rights.licence_summary(asset, words)
    return assets


def awaiting(user, *, limit: int = 200) -> list[Task]:
    """The open stakeholder steps of assets ``user`` may send (for the form that sends links)."""
    clients = [m.client_id for m in user.membership_list if may_send(user, m.client_id)]
    visible = Asset.objects.visible_to(user).filter(client_id__in=clients).values("pk")
    return list(
        Task.objects.filter(
            client_id__in=clients,
            run__subject_type=ASSET_TYPE,
            run__subject_id__in=visible,
            status=TaskStatus.OPEN,
            roles_key__contains=f",{workflows.HOLDER_GROUP},",
        )
        .select_related("run", "client")
        .order_by("client__name", "run__title", "id")[:limit]
    )


def _open_steps(asset_ids) -> list[Task]:
    return list(
        Task.objects.filter(
            run__subject_type=ASSET_TYPE,
            run__subject_id__in=asset_ids,
            status=TaskStatus.OPEN,
            roles_key__contains=f",{workflows.HOLDER_GROUP},",
        )
        .select_related("run", "client")
        .order_by("id")
    )


def asset_of(link: ReviewLink, asset_id) -> Asset | None:
    """One of the link's assets (``None`` for any other id: the link shows nothing else)."""
    pk = whole_number(str(asset_id))
    return None if pk is None else link.assets.filter(pk=pk).first()


def decide(link: ReviewLink, asset: Asset, *, outcome: str, reason: str, version=None, request_ip: str = ""):
    """The holder's decision on the asset's open stakeholder step, through the one decision path; audited."""
    step = next(iter(_open_steps([asset.pk])), None)
    if step is None:
        raise LinkRefused("Nothing waits for your decision on this asset now.", field="outcome")
    with transaction.atomic():
        decision = workflows.decide_as_holder(
            step, holder=holder_of(link), outcome=outcome, reason=reason, expected_version=version
        )
        record_use(link, what="decide", asset=asset, request_ip=request_ip, outcome=outcome, task=step.pk)
    return decision


def comment(link: ReviewLink, asset: Asset, *, body: str, request_ip: str = ""):
    """The holder's comment on the asset's conversation (on its stakeholder step while one is open); audited."""
    step = next(iter(_open_steps([asset.pk])), None)
    run = step.run if step else WorkflowRun.objects.filter(subject_type=ASSET_TYPE, subject_id=asset.pk).first()
    if run is None:
        raise LinkRefused("There is no review of this asset to comment on yet.", field="body")
    with transaction.atomic():
        note = workflows.comment(run, actor=None, holder=holder_of(link), body=body, task=step)
        record_use(link, what="comment", asset=asset, request_ip=request_ip, comment=note.pk)
    return note
