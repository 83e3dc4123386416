"""``/api/v1/onboardings/`` (the caller's clients' onboarding runs, bulk enrichment) and
``/api/v1/onboarding-policies/`` (which sources onboard; agency admins change them). Decisions on onboarding tasks
go through ``/api/v1/tasks/{id}/decision/`` like every flow's, with the flow's own fields."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.audit import services as audit
from apps.clients.models import Client
from apps.common.roles import Capability, roles_with
from apps.workflows.services import DecisionRefused

from .. import services
from ..models import Onboarding, OnboardingPolicy
from .serializers import (
    BulkEnrichResultSerializer,
    BulkEnrichSerializer,
    OnboardingPolicySerializer,
    OnboardingSerializer,
)


class OnboardingViewSet(viewsets.ReadOnlyModelViewSet):
    """Onboarding runs of the caller's clients, newest first: the ingest checks, the usage rules legal recorded,
    the access, the state. Filters: `client` (slug), `state`."""

    serializer_class = OnboardingSerializer
    ordering = "-id"
    filterset_fields = {"client__slug": ["exact"], "state": ["exact"]}

    def get_queryset(self):
        return Onboarding.objects.visible_to(self.request.user).select_related("client", "asset")

    @extend_schema(request=BulkEnrichSerializer, responses={200: BulkEnrichResultSerializer})
    @action(detail=False, methods=["post"], url_path="bulk-enrich")
    def bulk_enrich(self, request):
        """Add keywords and categories to many onboarding assets at once (write scope); each change is audited on
        its asset. Assets you may not see or that are not onboarding are left alone."""
        body = BulkEnrichSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            changed = services.bulk_enrich(
                data["assets"],
                actor=request.user,
                keywords=data["keywords"],
                categories=data["categories"],
                reason=data["reason"],
            )
        except DecisionRefused as refused:
            raise exceptions.ValidationError({refused.field or "keywords": [str(refused)]}) from None
        return Response({"changed": changed})


class OnboardingPolicyViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet
):
    """Each client's onboarding policy (which sources onboard, whether approval follows, whether the three tasks
    run one after the other or at once: `shape`, read by each run when it starts). Everyone of the client
    reads it; its agency admins change it (audited with before and after)."""

    serializer_class = OnboardingPolicySerializer
    ordering = "id"

    def get_queryset(self):
        for client in Client.objects.internal_to(self.request.user).exclude(onboarding_policy__isnull=False):
            services.policy_for(client)
        return OnboardingPolicy.objects.visible_to(self.request.user).select_related("client")

    def perform_update(self, serializer):
        policy = serializer.instance
        membership = next((m for m in self.request.user.membership_list if m.client_id == policy.client_id), None)
        if membership is None or not set(membership.role_codes) & set(roles_with(Capability.MANAGE_CLIENT)):
            raise exceptions.PermissionDenied("Only the client's agency admins change its onboarding policy.")
        fields = ("sources", "approval_after", "shape", "cultures")
        before = {name: getattr(policy, name) for name in fields}
        policy = serializer.save()
        audit.record(
            "onboarding.policy.update",
            actor=self.request.user,
            client=policy.client,
            obj=policy,
            before=before,
            after={name: getattr(policy, name) for name in fields},
        )
