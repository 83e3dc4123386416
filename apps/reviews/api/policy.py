"""``/api/v1/clients/<slug>/approval-policy/``: a client's approval shape (``apps.reviews.policy``)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.choices import TokenScope
from apps.clients.models import Client

from .. import policy

REFUSED = OpenApiResponse(
    description="The policy cannot be saved as given; `errors` names the field (`roles`, `sequential`, `quorum`, "
    "`stakeholder_step`) and says why (e.g. a quorum larger than the role's members). Nothing is saved."
)


class ApprovalPolicySerializer(serializers.Serializer):
    client = serializers.CharField(read_only=True, help_text="The client's slug.")
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=policy.SIGNING_ROLES),
        required=False,
        min_length=1,
        help_text="The roles that sign, in order (the order counts when sequential).",
    )
    sequential = serializers.BooleanField(required=False, help_text="One role after the other; else all at once.")
    quorum = serializers.DictField(
        child=serializers.IntegerField(min_value=1, max_value=policy.MAX_QUORUM),
        required=False,
        help_text='Role -> how many different people of it must approve, e.g. {"brand": 2}; absent: one.',
    )
    stakeholder_step = serializers.BooleanField(
        required=False, help_text="A client stakeholder approves after every internal review approved."
    )
    shape = serializers.CharField(read_only=True, help_text="The shape in words, as cycles started now follow it.")
    reason = serializers.CharField(required=False, allow_blank=True, write_only=True, max_length=500)


class ApprovalPolicyView(APIView):
    """A client's approval policy: its internal members read it; its agency admins change it with an `admin` token
    (each change audited with before and after). Changes reach the approval cycles started afterwards only; running
    cycles keep the shape they started with. Another client's, or a client where the caller is an external member,
    is a 404."""

    required_scope = {"patch": TokenScope.ADMIN}

    def initial(self, request, *args, **kwargs):
        self.action = request.method.lower()  # for the token scope the PATCH needs
        super().initial(request, *args, **kwargs)

    def _client(self, slug: str) -> Client:
        client = Client.objects.internal_to(self.request.user).filter(slug=slug).first()
        if client is None:
            raise exceptions.NotFound()
        return client

    @staticmethod
    def _body(client: Client, saved) -> dict:
        return {"client": client.slug, **policy.as_dict(saved), "shape": policy.describe(policy.variables_for(client))}

    @extend_schema(responses={200: ApprovalPolicySerializer})
    def get(self, request, slug: str):
        client = self._client(slug)
        return Response(self._body(client, policy.policy_for(client)))

    @extend_schema(request=ApprovalPolicySerializer, responses={200: ApprovalPolicySerializer, 400: REFUSED})
    def patch(self, request, slug: str):
        client = self._client(slug)
        if not policy.may_edit(request.user, client):
            raise exceptions.PermissionDenied("Only the client's agency admins may change its approval policy.")
        body = ApprovalPolicySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        changes = {k: v for k, v in body.validated_data.items() if k != "reason"}
        try:
            saved = policy.update_policy(
                client, actor=request.user, changes=changes, reason=body.validated_data.get("reason", "")
            )
        except policy.PolicyRefused as refused:
            field = "quorum" if refused.field.startswith("quorum_") else refused.field
            raise exceptions.ValidationError({field: [str(refused)]}) from None
        return Response(self._body(client, saved))
