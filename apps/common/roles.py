"""Roles a member can hold in a client and what each role may do: the platform's role vocabulary.

Model-free and at the bottom of the layers (docs/architecture.md, "Layers"), so every app reads it, including the
audit trail's visibility, without importing ``apps.accounts``. The models that store roles (``accounts.Role``,
``Membership``) take their choices from here.
"""

from django.db import models


class RoleCode(models.TextChoices):
    """The personas of DESIGN.md. A membership holds any number of them."""

    REQUESTER = "requester", "Requester"
    REVIEWER = "reviewer", "Reviewer"
    LEGAL = "legal", "Legal"
    BRAND = "brand", "Brand"
    MARKETING = "marketing", "Marketing"
    COMPLIANCE = "compliance", "Compliance"
    PRODUCT = "product", "Product"
    CONTENT_MANAGER = "content_manager", "Content manager"
    PROCUREMENT = "procurement", "Procurement"
    CONTENT_OWNER = "content_owner", "Content owner"
    CREATIVE = "creative", "Creative"
    AGENCY_ADMIN = "agency_admin", "Agency admin"
    EXTERNAL = "external", "External stakeholder"
    INTEGRATOR = "integrator", "Integrator"


class Capability(models.TextChoices):
    """Coarse permissions derived from roles; object visibility is always the tenant filter first."""

    MANAGE_CLIENT = "manage_client", "Edit the client's policies and people"
    VIEW_AUDIT = "view_audit", "Read the client's audit trail"
    VIEW_ANALYTICS = "view_analytics", "Read where the client's reviews wait (analytics)"


ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    RoleCode.AGENCY_ADMIN: frozenset({Capability.MANAGE_CLIENT, Capability.VIEW_AUDIT, Capability.VIEW_ANALYTICS}),
    RoleCode.COMPLIANCE: frozenset({Capability.VIEW_AUDIT}),
    RoleCode.LEGAL: frozenset({Capability.VIEW_AUDIT}),
    # the people who run a client's reviews see where they wait
    RoleCode.CONTENT_MANAGER: frozenset({Capability.VIEW_AUDIT, Capability.VIEW_ANALYTICS}),
}


def roles_with(capability: str) -> list[str]:
    """Role codes that grant ``capability``."""
    return [role for role, caps in ROLE_CAPABILITIES.items() if capability in caps]


def internal_memberships(memberships) -> list:
    """The memberships (``accounts.Membership`` rows with ``role_codes``) in which the person is not external."""
    return [m for m in memberships if RoleCode.EXTERNAL not in m.role_codes]


def is_agency_staff(memberships) -> bool:
    """Agency staff: an agency admin of a client, or an internal member of several (the agency overview's people)."""
    internal = internal_memberships(memberships)
    return any(RoleCode.AGENCY_ADMIN in m.role_codes for m in internal) or len(internal) > 1


# The roles that sign tasks (the candidate groups of the BPMN files); a delegate must hold each of them that the
# person they stand in for holds: a must-sign role is never skipped.
NON_SIGNING = frozenset({RoleCode.REQUESTER, RoleCode.AGENCY_ADMIN, RoleCode.EXTERNAL, RoleCode.INTEGRATOR})
SIGNING_ROLES = frozenset(RoleCode.values) - NON_SIGNING
