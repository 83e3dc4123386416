from django.db import models
from django.db.models import Q

from apps.common.querysets import ClientScopedQuerySet
from apps.sharing.choices import SubjectType
from apps.sharing.querysets import shared_ids


class CaseQuerySet(ClientScopedQuerySet):
    def open(self):
        from .choices import CaseState

        return self.filter(state=CaseState.OPEN)

    def shared_with(self, user):
        return Q(pk__in=shared_ids(user, SubjectType.CASE))


class CalendarFeedQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A person sees their own feed only, and only while its client (if it names one) is one of theirs."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        return self.filter(owner=user).filter(
            models.Q(client__isnull=True) | models.Q(client__in=user.visible_client_ids())
        )
