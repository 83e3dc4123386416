"""``/api/v1/clients/<slug>/<kind>-policy/``: the one shape of every per-client policy endpoint (approval,
exception): the client's internal members read it; its agency admins change it with an ``admin`` token, each
change audited by the policy's own ``update_policy``. Another client's, or one where the caller is an external
member, is a 404; a refused change names its field and saves nothing."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.choices import TokenScope
from apps.clients.models import Client


class ClientPolicyView(APIView):
    """Subclasses name the ``serializer_class``, the ``policy`` module (``may_edit``, ``update_policy``,
    ``PolicyRefused``, ``as_dict``), what a refusal of a grouped field is reported under (``refused_groups``: field
    prefix -> body field), the function that reads the current policy (``current``) and how to render it
    (``body``)."""

    required_scope = {"patch": TokenScope.ADMIN}
    serializer_class: type[serializers.Serializer]
    policy: ModuleType
    what = "policy"  # "approval policy": for the refusal message
    refused_groups: dict[str, str] = {}
    current: Callable[[Client], object]  # the client's policy as saved (or its defaults): a staticmethod

    def initial(self, request, *args, **kwargs):
        self.action = request.method.lower()  # for the token scope the PATCH needs
        super().initial(request, *args, **kwargs)

    def client(self, slug: str) -> Client:
        client = Client.objects.internal_to(self.request.user).filter(slug=slug).first()
        if client is None:
            raise exceptions.NotFound()
        return client

    def body(self, client: Client, saved) -> dict:
        return {"client": client.slug, **self.policy.as_dict(saved)}

    def get(self, request, slug: str):
        client = self.client(slug)
        return Response(self.body(client, type(self).current(client)))

    def patch(self, request, slug: str):
        client = self.client(slug)
        if not self.policy.may_edit(request.user, client):
            raise exceptions.PermissionDenied(f"Only the client's agency admins may change its {self.what}.")
        body = self.serializer_class(data=request.data)
        body.is_valid(raise_exception=True)
        changes = {k: v for k, v in body.validated_data.items() if k != "reason"}
        try:
            saved = self.policy.update_policy(
                client, actor=request.user, changes=changes, reason=body.validated_data.get("reason", "")
            )
        except self.policy.PolicyRefused as refused:
            field = next((f for p, f in self.refused_groups.items() if refused.field.startswith(p)), refused.field)
            raise exceptions.ValidationError({field: [str(refused)]}) from None
        return Response(self.body(client, saved))
