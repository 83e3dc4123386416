from apps.common.active_client import get_active_client


def active_client(request) -> dict:
    """The client switcher's data. Memberships come from the user's cached list, so this costs one query."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "active_client": get_active_client(request),
        "my_memberships": user.membership_list,
    }
