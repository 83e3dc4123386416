"""Sharing a subject with an external member of its client, and revoking it: audited on the subject, so its page's
timeline says who shared it with whom and until when.

The subjects are registered by the apps that own them (``register_subject`` from their ``AppConfig.ready``): this
app sits below them (docs/architecture.md, "Layers") and resolves a subject through that registry and the model's
own ``visible_to``, never by importing it.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from apps.accounts.models import Membership, User
from apps.audit import services as audit
from apps.common.roles import RoleCode

from .choices import SubjectType
from .models import Share

MAX_DAYS = 365  # a share ends within a year; sharing again extends it
DEFAULT_DAYS = 30

_SUBJECTS: dict[str, type[models.Model]] = {}


class ShareRefused(Exception):
    """The share cannot be made as asked; ``field`` names the input it is about (``subject``, ``user``, ``until``)."""

    def __init__(self, message: str, *, field: str):
        super().__init__(message)
        self.field = field


def register_subject(model: type[models.Model]) -> None:
    """Let ``model``'s rows be shared (its label must be one of ``SubjectType``; its manager has ``visible_to``)."""
    label = model._meta.label_lower
    if label not in SubjectType.values:
        raise ValueError(f"{label} is not a shareable subject type ({', '.join(SubjectType.values)}).")
    _SUBJECTS[label] = model


def subject_model(subject_type: str) -> type[models.Model]:
    try:
        return _SUBJECTS[subject_type]
    except KeyError:
        raise ShareRefused(f"{subject_type!r} cannot be shared.", field="subject") from None


def find_subject(user, subject_type: str, subject_id) -> models.Model:
    """The subject as ``user`` may see it; ``ShareRefused`` when there is no such subject in their sight."""
    model = subject_model(subject_type)
    found = model.objects.visible_to(user).select_related("client").filter(pk=subject_id).first()
    if found is None:
        raise ShareRefused("No such item among those you may see.", field="subject")
    return found


def can_share(actor, client) -> bool:
    """Internal members of a client share its things; external members cannot pass on what they were given."""
    client_id = getattr(client, "pk", client)
    is_member = any(m.client_id == client_id for m in actor.membership_list)
    return is_member and not actor.is_external_in(client_id)


def external_members(client) -> models.QuerySet:
    """The people a subject of ``client`` can be shared with: its external members."""
    return User.objects.filter(
        is_active=True,
        pk__in=Membership.objects.filter(client=client, roles__code=RoleCode.EXTERNAL).values("user_id"),
    ).order_by("email")


def expiry_of(until: date) -> datetime:
    """A share "until 31 March" lasts through that day in the portal's time zone."""
    return timezone.make_aware(datetime.combine(until + timedelta(days=1), time.min))


def share(subject: models.Model, *, user: User, actor: User, until: date) -> Share:
    """Share ``subject`` (an asset or a case the actor may see) with ``user``, an external member of its client,
    through ``until``. Sharing what is already shared with them moves the end of that share."""
    subject_type = subject._meta.label_lower
    subject_model(subject_type)
    client = subject.client
    if not can_share(actor, client):
        raise PermissionDenied("Only the client's own members may share its items.")
    if not external_members(client).filter(pk=user.pk).exists():
        raise ShareRefused(
            f"{user.email} is not an external member of {client.name}; members of the client see it anyway.",
            field="user",
        )
    today = timezone.localdate()
    if until < today or until > today + timedelta(days=MAX_DAYS):
        raise ShareRefused(f"Share until a day from today to {MAX_DAYS} days ahead.", field="until")
    expires_at = expiry_of(until)
    label = str(subject)[:300]
    try:
        with transaction.atomic():
            return _grant(subject, subject_type, client, user, actor, expires_at, label)
    except IntegrityError:  # someone shared it with them at the same moment: theirs is the open one, move its end
        with transaction.atomic():
            return _grant(subject, subject_type, client, user, actor, expires_at, label)


def _grant(subject, subject_type, client, user, actor, expires_at, label) -> Share:
    current = (
        Share.objects.select_for_update()
        .filter(subject_type=subject_type, subject_id=subject.pk, user=user, revoked_at__isnull=True)
        .first()
    )
    if current is None:
        share = Share.objects.create(
            client=client,
            subject_type=subject_type,
            subject_id=subject.pk,
            subject_label=label,
            user=user,
            shared_by=actor,
            expires_at=expires_at,
        )
        before, verb = None, "grant"
    else:
        share, before, verb = current, {"expires_at": current.expires_at.isoformat()}, "renew"
        share.expires_at, share.shared_by = expires_at, actor
        share.save(update_fields=["expires_at", "shared_by"])
    audit.record(
        f"sharing.share.{verb}",
        actor=actor,
        client=client,
        obj=subject,
        before=before,
        after={"share": share.pk, "user": user.email, "expires_at": expires_at.isoformat()},
    )
    return share


def unshare(share: Share, *, actor: User) -> Share:
    """Revoke a share (in force or expired): the external member no longer sees the subject."""
    if not can_share(actor, share.client_id):
        raise PermissionDenied("Only the client's own members may revoke its shares.")
    with transaction.atomic():
        share = Share.objects.select_for_update().select_related("user", "client").get(pk=share.pk)
        if share.revoked_at is not None:
            raise ShareRefused("This share was revoked already.", field="share")
        share.revoked_at, share.revoked_by = timezone.now(), actor
        share.save(update_fields=["revoked_at", "revoked_by"])
        audit.record(
            "sharing.share.revoke",
            actor=actor,
            client=share.client,
            obj=_subject_ref(share),
            before={"expires_at": share.expires_at.isoformat()},
            after={"share": share.pk, "user": share.user.email, "revoked": True},
        )
    return share


def _subject_ref(share: Share) -> models.Model:
    """The shared subject for the audit trail (the event goes on its timeline); the share when it is gone."""
    model = _SUBJECTS.get(share.subject_type)
    found = model.objects.filter(pk=share.subject_id).first() if model is not None else None
    return found or share
