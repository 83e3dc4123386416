"""Set up the emulator's tenants, service clients and users; callable in process (``seed_demo``) and by control routes.

Every function is idempotent: calling it again with the same arguments leaves one row in the same state.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.hashers import make_password
from django.db import transaction

from . import contract
from .auth import digest
from .models import OtServiceClient, OtTenant, OtUser


def ensure_tenant(tenant_id: str, *, name: str = "") -> OtTenant:
    """The tenant with this id, created when missing (a non-empty ``name`` is updated)."""
    tenant_id = tenant_id.strip()
    if not tenant_id:
        raise ValueError("tenant_id is required")
    tenant, created = OtTenant.objects.get_or_create(tenant_id=tenant_id, defaults={"name": name})
    if not created and name and tenant.name != name:
        tenant.name = name
        tenant.save(update_fields=["name"])
    return tenant


def ensure_service_client(tenant_id: str, client_id: str, client_secret: str) -> OtServiceClient:
    """A confidential service client of the tenant; an existing one gets the given secret."""
    if not client_id or not client_secret:
        raise ValueError("client_id and client_secret are required")
    tenant = ensure_tenant(tenant_id)
    client, _ = OtServiceClient.objects.update_or_create(
        tenant=tenant, client_id=client_id, defaults={"secret_hash": digest(client_secret)}
    )
    return client


def ensure_user(tenant_id: str, email: str, *, groups: Iterable[str] = (), password: str | None = None) -> OtUser:
    """A tenant user (by e-mail) with exactly these groups; ``password`` enables the password grant.

    ``password=None`` keeps an existing password, so re-seeding groups never locks a user out.
    """
    email = email.strip()
    if "@" not in email:
        raise ValueError("users are referenced by e-mail")
    tenant = ensure_tenant(tenant_id)
    group_list = list(dict.fromkeys(g.strip() for g in groups if g and g.strip()))
    with transaction.atomic():
        user = OtUser.objects.select_for_update().filter(tenant=tenant, email__iexact=email).first()
        if user is None:
            user = OtUser(tenant=tenant, email=email)
        user.groups = group_list
        if password is not None:
            user.password_hash = make_password(password) if password else ""
        user.save()
    return user


def configure_tenant(
    tenant_id: str,
    *,
    token_lifetime_seconds: int | None = None,
    history_delay_seconds: float | None = None,
    ended_instances_readable: bool | None = None,
    task_outcomes_in_json: bool | None = None,
    historic_task_outcome: bool | None = None,
    complete_requires_assignee: bool | None = None,
) -> OtTenant:
    """Change a tenant's emulator knobs; ``None`` leaves one as it is.

    Token lifetime applies to new tokens only; the history delay is how far history lags the runtime; the switches
    relax the strict defaults (``contract.SWITCHES``).
    """
    tenant = ensure_tenant(tenant_id)
    fields = []
    if token_lifetime_seconds is not None:
        if token_lifetime_seconds < 1:
            raise ValueError("token_lifetime_seconds must be at least 1")
        tenant.token_lifetime_seconds = token_lifetime_seconds
        fields.append("token_lifetime_seconds")
    if history_delay_seconds is not None:
        if history_delay_seconds < 0:
            raise ValueError("history_delay_seconds must not be negative")
        tenant.history_delay_seconds = history_delay_seconds
        fields.append("history_delay_seconds")
    given = {
        "ended_instances_readable": ended_instances_readable,
        "task_outcomes_in_json": task_outcomes_in_json,
        "historic_task_outcome": historic_task_outcome,
        "complete_requires_assignee": complete_requires_assignee,
    }
    for name, value in given.items():
        if value is None:
            continue
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be true or false")
        setattr(tenant, name, value)
        fields.append(name)
    if fields:
        tenant.save(update_fields=fields)
    return tenant


def switches(tenant: OtTenant) -> dict[str, bool]:
    """The tenant's relaxation switches by name (``contract.SWITCHES``)."""
    return {name: getattr(tenant, name) for name in contract.SWITCHES}


def setup_tenant(
    tenant_id: str,
    *,
    name: str = "",
    client_id: str = "",
    client_secret: str = "",
    users: Iterable[dict] = (),
    token_lifetime_seconds: int = contract.DEFAULT_TOKEN_LIFETIME_SECONDS,
    history_delay_seconds: float | None = None,
) -> OtTenant:
    """One call for a seed command: tenant, its service client and its users (``{email, groups, password?}``).

    ``history_delay_seconds`` defaults to the ``EMULATOR_OPENTEXT_HISTORY_DELAY_SECONDS`` setting (else 1 s); the
    switches are left as they are (``configure_tenant`` changes them).
    """
    if history_delay_seconds is None:
        history_delay_seconds = contract.default_history_delay_seconds()
    with transaction.atomic():
        tenant = ensure_tenant(tenant_id, name=name)
        if client_id:
            ensure_service_client(tenant_id, client_id, client_secret)
        for user in users:
            ensure_user(tenant_id, user["email"], groups=user.get("groups", ()), password=user.get("password"))
        return configure_tenant(
            tenant.tenant_id,
            token_lifetime_seconds=token_lifetime_seconds,
            history_delay_seconds=history_delay_seconds,
        )


def user_groups(tenant: OtTenant, email: str) -> list[str]:
    """The groups of a tenant user (none for an unknown e-mail)."""
    user = OtUser.objects.filter(tenant=tenant, email__iexact=email).first()
    return list(user.groups) if user else []


def reset(tenant_id: str | None = None) -> int:
    """Forget one tenant (with everything in it) or every tenant; returns the number of tenants removed."""
    tenants = OtTenant.objects.all()
    if tenant_id:
        tenants = tenants.filter(tenant_id=tenant_id)
    deleted = tenants.count()
    tenants.delete()
    return deleted


def start_as_business_user(tenant_id: str, process_key: str, *, email: str, variables: dict, name: str = ""):
    """Start ``process_key`` in the tenant as a business user would in OpenText's own applications: by that user,
    with no business key (Greenlight did not start it and knows nothing of it until its sync discovers it). For the
    demo (``seed_demo``) and tests; returns the instance."""
    from .services import StartRequest, start_process

    tenant = ensure_tenant(tenant_id)
    if not OtUser.objects.filter(tenant=tenant, email__iexact=email.strip()).exists():
        ensure_user(tenant_id, email)  # a known user keeps their groups
    request = StartRequest(process_definition_key=process_key, name=name, variables=dict(variables))
    return start_process(tenant, request, start_user=email)


def comment_as_user(*, email: str, message: str, task_id: str = "", instance_id: str = ""):
    """Add a comment as an OpenText user would in OpenText's own task application: on an open task (``task_id``,
    saved with its instance's id, as that application does) or on a process instance (``instance_id``). For the
    demo (``opentext_comment``), tests and the control route ``_emulator/comments``; returns the comment."""
    from .services import _comment, get_instance, get_task

    if bool(task_id) == bool(instance_id):
        raise ValueError("name a task or a process instance, not both")
    if task_id:
        task = get_task(None, task_id, open_only=True)
        return _comment(task.process_instance, task, message, email.strip(), on_instance=True)
    return _comment(get_instance(None, instance_id), None, message, email.strip(), on_instance=True)
