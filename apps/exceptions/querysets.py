from apps.common.querysets import ClientScopedQuerySet


class CaseQuerySet(ClientScopedQuerySet):
    def open(self):
        from .choices import CaseState

        return self.filter(state=CaseState.OPEN)
