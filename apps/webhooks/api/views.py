"""``/api/v1/webhooks/``: a client's webhook endpoints through the same services as the pages. Every action needs
an `admin` token of an agency admin of the endpoint's client; other clients' endpoints are 404."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.accounts.choices import TokenScope
from apps.clients.models import Client
from apps.common.roles import Capability
from apps.outbox.models import OutboxMessage

from .. import services
from ..models import WebhookAttempt, WebhookEndpoint
from ..targets import TargetRefused
from .serializers import (
    WebhookDeliverySerializer,
    WebhookDisableSerializer,
    WebhookEndpointCreatedSerializer,
    WebhookEndpointSerializer,
    WebhookEndpointUpdateSerializer,
    WebhookEndpointWriteSerializer,
    WebhookSecretSerializer,
)


def _refused(exc: ValueError) -> exceptions.ValidationError:
    return exceptions.ValidationError({"detail": [str(exc)]})


class WebhookEndpointViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Webhook endpoints of the clients you administer. The signing secret is returned once, by `create` and
    `rotate`; `test` queues a `webhook.test` delivery; `deliveries` is the delivery log, newest first."""

    serializer_class = WebhookEndpointSerializer
    required_scope = TokenScope.ADMIN
    ordering = "-id"  # newest first, for the endpoints and the delivery log alike
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return WebhookEndpoint.objects.visible_to(self.request.user).select_related("client").order_by("pk")

    @extend_schema(request=WebhookEndpointWriteSerializer, responses={201: WebhookEndpointCreatedSerializer})
    def create(self, request, *args, **kwargs):
        data = WebhookEndpointWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        client = (
            Client.objects.with_capability(request.user, Capability.MANAGE_CLIENT).filter(slug=values["client"]).first()
        )
        if client is None:
            raise exceptions.ValidationError({"client": ["Not a client you administer."]})
        try:
            created = services.create_endpoint(
                client=client,
                url=values["url"],
                event_types=values["event_types"],
                description=values["description"],
                actor=request.user,
            )
        except TargetRefused as exc:
            raise exceptions.ValidationError({"url": [str(exc)]}) from None
        except ValueError as exc:
            raise _refused(exc) from None
        created.endpoint.secret = created.secret
        return Response(WebhookEndpointCreatedSerializer(created.endpoint).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=WebhookEndpointUpdateSerializer, responses=WebhookEndpointSerializer)
    def partial_update(self, request, *args, **kwargs):
        endpoint = self.get_object()
        data = WebhookEndpointUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        try:
            endpoint = services.update_endpoint(endpoint, actor=request.user, **data.validated_data)
        except TargetRefused as exc:
            raise exceptions.ValidationError({"url": [str(exc)]}) from None
        except ValueError as exc:
            raise _refused(exc) from None
        return Response(WebhookEndpointSerializer(endpoint).data)

    def update(self, request, *args, **kwargs):
        if not kwargs.get("partial"):
            raise exceptions.MethodNotAllowed("PUT")
        return self.partial_update(request, *args, **kwargs)

    def perform_destroy(self, instance):
        services.delete(instance, actor=self.request.user)

    @extend_schema(request=None, responses=WebhookSecretSerializer)
    @action(detail=True, methods=["post"])
    def rotate(self, request, pk=None):
        secret = services.rotate_secret(self.get_object(), actor=request.user)
        return Response({"secret": secret, "previous_valid_hours": settings.WEBHOOK_SECRET_OVERLAP_HOURS})

    @extend_schema(request=None, responses={202: WebhookDeliverySerializer})
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        try:
            message = services.send_test(self.get_object(), actor=request.user)
        except ValueError as exc:
            raise _refused(exc) from None
        return Response(WebhookDeliverySerializer(message).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=WebhookDisableSerializer, responses=WebhookEndpointSerializer)
    @action(detail=True, methods=["post"])
    def disable(self, request, pk=None):
        data = WebhookDisableSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reason = data.validated_data["reason"] or f"Disabled by {request.user.email}."
        try:
            endpoint = services.disable(self.get_object(), actor=request.user, reason=reason)
        except ValueError as exc:
            raise _refused(exc) from None
        return Response(WebhookEndpointSerializer(endpoint).data)

    @extend_schema(request=None, responses=WebhookEndpointSerializer)
    @action(detail=True, methods=["post"])
    def enable(self, request, pk=None):
        try:
            endpoint = services.enable(self.get_object(), actor=request.user)
        except ValueError as exc:
            raise _refused(exc) from None
        return Response(WebhookEndpointSerializer(endpoint).data)

    @extend_schema(responses=WebhookDeliverySerializer(many=True))
    @action(detail=True, methods=["get"])
    def deliveries(self, request, pk=None):
        endpoint = self.get_object()
        rows = (
            OutboxMessage.objects.filter(ordering_key=endpoint.ordering_key)
            .order_by("-id")
            .prefetch_related(Prefetch("webhook_attempts", queryset=WebhookAttempt.objects.order_by("pk")))
        )
        page = self.paginate_queryset(rows)
        serializer = WebhookDeliverySerializer(page if page is not None else rows, many=True)
        return self.get_paginated_response(serializer.data) if page is not None else Response(serializer.data)
