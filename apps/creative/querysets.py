from django.db.models import Q

from apps.common.querysets import ClientScopedQuerySet


class VocabularyQuerySet(ClientScopedQuerySet):
    def active(self):
        return self.filter(archived_at__isnull=True)


class CreativeRequestQuerySet(ClientScopedQuerySet):
    """Requests of the clients a person is an internal member of; never shared with external members. A draft is
    its requester's alone until it is submitted."""

    def visible_to(self, user):
        from .choices import RequestStatus

        scoped = super().visible_to(user)
        if not getattr(user, "is_authenticated", False):
            return scoped
        return scoped.filter(~Q(status=RequestStatus.DRAFT) | Q(requester_id=user.pk))

    def open(self):
        from .choices import OPEN_STATUSES

        return self.filter(status__in=OPEN_STATUSES)


class RequestPartQuerySet(ClientScopedQuerySet):
    """Rows that belong to a request (shortlist, deliveries): seen where the request is."""

    request_field = "request"

    def visible_to(self, user):
        from .models import CreativeRequest

        return (
            super()
            .visible_to(user)
            .filter(**{f"{self.request_field}__in": CreativeRequest.objects.visible_to(user).values("pk")})
        )


class DeliveryItemQuerySet(RequestPartQuerySet):
    request_field = "delivery__request"
