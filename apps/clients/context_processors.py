from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from apps.common.active_client import get_active_client
from apps.common.roles import Capability, RoleCode, is_agency_staff, roles_with

from . import topbar
from .models import Client, ConnectionStatus


def _navigation(user) -> dict:
    """Which links of the main navigation this person may use, from the membership list (no query). Operators
    (staff) and agency admins run the platform: Sync, Admin and the API docs; whoever may read a client's audit
    trail gets Audit. An external member's roles grant nothing (``User.has_capability``)."""
    internal = [m for m in user.membership_list if RoleCode.EXTERNAL not in m.role_codes]
    codes = set().union(*(m.role_codes for m in internal)) if internal else set()
    manages = bool(codes & set(roles_with(Capability.MANAGE_CLIENT)))
    return {
        "sync": user.is_staff or manages,
        "audit": user.is_staff or bool(codes & set(roles_with(Capability.VIEW_AUDIT))),
        # the same rule as ``analytics.forms.analytics_clients`` (staff: where they are an internal member)
        "analytics": (user.is_staff and bool(internal)) or bool(codes & set(roles_with(Capability.VIEW_ANALYTICS))),
        "admin": manages,
        "api_docs": user.is_staff or manages or RoleCode.INTEGRATOR in codes,
        "external_only": bool(user.membership_list) and not internal,
        "requester": RoleCode.REQUESTER in codes,  # "New request" at the top of the navigation
        "agency": is_agency_staff(user.membership_list),  # the agency overview
        "review_links": bool(internal),  # internal members send stakeholders review links
    }


class SmintioState:
    """The Smint.io connection of the client the person works in (or of each of their clients), as everyone may
    know it: connected or not, and whether the first sync is still running (with how many assets it brought so
    far). Never the tenant, cursor or errors: those are the sync log's, for operators. Made from a row of
    ``topbar.states`` (kept in the shared cache)."""

    def __init__(self, row: dict, now):
        self.client = Client(pk=row["client_id"], name=row["client__name"], slug=row["client__slug"])
        self.status = row["status"]
        self.status_label = ConnectionStatus(self.status).label
        self.connected = self.status == ConnectionStatus.CONNECTED
        lease_until = row["lease_until"]
        running = bool(lease_until and lease_until > now)
        self.first_sync = self.connected and running and row["last_pull_ok"] is not True
        self.last_pull_finished_at = row["last_pull_finished_at"]
        self.assets_so_far = self.client.assets.count() if self.first_sync else None


def _smintio_states(request) -> list[SmintioState]:
    user = request.user
    client = get_active_client(request)
    internal_ids = [m.client_id for m in user.membership_list if RoleCode.EXTERNAL not in m.role_codes]
    if client is not None:
        internal_ids = [pk for pk in internal_ids if pk == client.pk]
    if not internal_ids:
        return []
    now = timezone.now()
    return [SmintioState(row, now) for row in topbar.states(internal_ids)]


def active_client(request) -> dict:
    """The client switcher's data. Memberships come from the user's cached list, the Smint.io state (the top bar,
    the first-sync banner) from the shared cache (``topbar``) when a template reads it: no query once warm."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "active_client": get_active_client(request),
        "my_memberships": user.membership_list,
        "nav": _navigation(user),
        "smintio_states": SimpleLazyObject(lambda: _smintio_states(request)),
    }
