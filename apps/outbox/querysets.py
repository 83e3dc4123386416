from apps.common.querysets import ClientScopedQuerySet


class OutboxQuerySet(ClientScopedQuerySet):
    pass
