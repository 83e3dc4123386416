"""API permission: what an API token's scope allows. Session users are limited by their roles instead."""

from __future__ import annotations

from rest_framework import permissions

from .choices import TokenScope
from .models import ApiToken


class TokenScopePermission(permissions.BasePermission):
    """``read`` tokens may only read; unsafe methods need ``write``; a view may demand more with ``required_scope``
    (a string, or a dict from action name to scope)."""

    message = "This token's scope does not allow this request."

    def has_permission(self, request, view) -> bool:
        token = request.auth
        if not isinstance(token, ApiToken):
            return True
        return token.allows(required_scope(request, view))


def required_scope(request, view) -> str:
    declared = getattr(view, "required_scope", None)
    if isinstance(declared, dict):
        declared = declared.get(getattr(view, "action", None))
    if declared:
        return declared
    return TokenScope.READ if request.method in permissions.SAFE_METHODS else TokenScope.WRITE
