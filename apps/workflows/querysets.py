from apps.common.querysets import ClientScopedQuerySet


class WorkflowRunQuerySet(ClientScopedQuerySet):
    pass


class TaskQuerySet(ClientScopedQuerySet):
    def open(self):
        from .choices import TaskStatus

        return self.filter(status=TaskStatus.OPEN)

    def visible_to(self, user):
        """Tasks a person may see: those they hold, and in each of their clients the tasks for one of their roles
        in one of their regions (a task without a region is everyone's with the role). Agency admins see all of
        their clients' tasks. One query whatever the number of memberships."""
        from django.db.models import Q

        from apps.common.roles import Capability, roles_with

        scoped = super().visible_to(user)
        if not getattr(user, "is_authenticated", False):
            return scoped
        overseers = set(roles_with(Capability.MANAGE_CLIENT))
        condition = Q(assignee_id=user.pk)
        for membership in user.membership_list:
            codes = set(membership.role_codes)
            if codes & overseers:
                condition |= Q(client_id=membership.client_id)
                continue
            if not codes:
                continue
            roles = Q()
            for code in sorted(codes):
                roles |= Q(roles_key__contains=f",{code},")
            regions = [region.code for region in membership.regions.all()]
            where = Q(region="") | Q(region__in=regions) if regions else Q()
            condition |= Q(client_id=membership.client_id) & roles & where
        return scoped.filter(condition)


class CommentQuerySet(ClientScopedQuerySet):
    pass


class DecisionQuerySet(ClientScopedQuerySet):
    def applied(self):
        """Decisions OpenText took: the ones a run's outcome, reasons and write-back are made of."""
        return self.filter(applied=True)
