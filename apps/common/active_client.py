"""The client a person is working in: chosen in the navigation, kept in the session, always re-checked.

``None`` means "all my clients". HTML lists narrow to the active client; the API ignores it and takes an explicit
``client`` filter instead.

Model-free, so every layer reads it (the audit trail's pages included) without importing ``apps.clients``: the
candidates are the signed-in user's own memberships (``user.membership_list``, clients selected with them; the
navigation reads that list on every page anyway), the same clients ``Client.objects.visible_to(user)`` gives.
"""

from __future__ import annotations

SESSION_KEY = "greenlight_active_client"


def get_active_client(request):
    """The active client (a ``clients.Client``), or ``None`` for "all my clients"."""
    user = request.user
    if not user.is_authenticated:
        return None
    if not hasattr(request, "_active_client"):
        client_id = request.session.get(SESSION_KEY)
        client = None
        if client_id is not None and user.is_active:
            # A membership removed since the choice was made simply falls back to "all my clients".
            client = next((m.client for m in user.membership_list if m.client_id == client_id), None)
        request._active_client = client
    return request._active_client


def set_active_client(request, client) -> None:
    """Remember ``client`` (one the user may see; ``None``: all my clients) for the session."""
    if client is None:
        request.session.pop(SESSION_KEY, None)
    else:
        request.session[SESSION_KEY] = client.pk
    request._active_client = client


def params_with_active_client(request):
    """The request's query, with ``client`` set to the active client when the person chose one and the URL does
    not name a client itself (HTML lists narrow to it; an explicit ``client=`` wins)."""
    params = request.GET.copy()
    active = get_active_client(request)
    if "client" not in params and active is not None:
        params["client"] = active.slug
    return params


def client_for_new(request, clients: list, *, refusal: str):
    """The client something new is made for, among ``clients`` (those the person may make it in): the one the form
    or URL names (``client``; not theirs: 404), else the active client when it is one of them, else the first.
    Returns ``(client, clients)``; no client at all: ``PermissionDenied(refusal)``."""
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    if not clients:
        raise PermissionDenied(refusal)
    slug = request.POST.get("client") or request.GET.get("client")
    if slug:
        chosen = next((c for c in clients if c.slug == slug), None)
        if chosen is None:
            raise Http404("No such client among yours.")
        return chosen, clients
    active = get_active_client(request)
    if active is not None and any(c.pk == active.pk for c in clients):
        return active, clients
    return clients[0], clients
