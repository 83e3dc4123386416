"""``/api/v1/clients/<slug>/approval-policy/``: a client's approval shape (``apps.reviews.policy``)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers

from apps.clients.api.policy import ClientPolicyView
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


@extend_schema_view(
    get=extend_schema(responses={200: ApprovalPolicySerializer}),
    patch=extend_schema(request=ApprovalPolicySerializer, responses={200: ApprovalPolicySerializer, 400: REFUSED}),
)
class ApprovalPolicyView(ClientPolicyView):
    """A client's approval policy: its internal members read it; its agency admins change it with an `admin` token
    (each change audited with before and after). Changes reach the approval cycles started afterwards only; running
    cycles keep the shape they started with. Another client's, or a client where the caller is an external member,
    is a 404."""

    serializer_class = ApprovalPolicySerializer
    policy = policy
    what = "approval policy"
    refused_groups = {"quorum_": "quorum"}

    current = staticmethod(policy.policy_for)

    def body(self, client: Client, saved) -> dict:
        return {**super().body(client, saved), "shape": policy.describe(policy.variables_for(client))}
