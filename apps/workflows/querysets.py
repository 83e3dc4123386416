from apps.common.querysets import ClientScopedQuerySet


class WorkflowRunQuerySet(ClientScopedQuerySet):
    pass


class TaskQuerySet(ClientScopedQuerySet):
    def open(self):
        from .choices import TaskStatus

        return self.filter(status=TaskStatus.OPEN)
