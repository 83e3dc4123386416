"""API token scopes, and the role vocabulary the account models store.

Roles and capabilities live in :mod:`apps.common.roles` (model-free, read by every layer); they are imported here
for the models' fields and for callers that still import them from ``apps.accounts.choices``.
"""

from django.db import models

from apps.common.roles import ROLE_CAPABILITIES as ROLE_CAPABILITIES
from apps.common.roles import Capability as Capability
from apps.common.roles import RoleCode as RoleCode
from apps.common.roles import roles_with as roles_with


class TokenScope(models.TextChoices):
    """Scopes are ordered: ``write`` includes ``read``, ``admin`` includes both."""

    READ = "read", "Read: GET only"
    WRITE = "write", "Write: read and change data"
    ADMIN = "admin", "Admin: write and change client policies"


SCOPE_RANK = {TokenScope.READ: 1, TokenScope.WRITE: 2, TokenScope.ADMIN: 3}
