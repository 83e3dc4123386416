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
