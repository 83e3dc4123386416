"""API token scopes. Roles and capabilities live in :mod:`apps.common.roles` (model-free, read by every layer)."""

from django.db import models


class TokenScope(models.TextChoices):
    """Scopes are ordered: ``write`` includes ``read``, ``admin`` includes both."""

    READ = "read", "Read: GET only"
    WRITE = "write", "Write: read and change data"
    ADMIN = "admin", "Admin: write and change client policies"


SCOPE_RANK = {TokenScope.READ: 1, TokenScope.WRITE: 2, TokenScope.ADMIN: 3}
