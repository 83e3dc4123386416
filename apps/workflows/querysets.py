from django.db.models import Q

from apps.common.querysets import ClientScopedQuerySet
from apps.common.roles import Capability, RoleCode, roles_with
from apps.sharing.querysets import shared_subject


class WorkflowRunQuerySet(ClientScopedQuerySet):
    def shared_with(self, user):
        """A run is seen where its subject is: an external member sees the runs of what was shared with them."""
        return Q(shared_subject(user))


class TaskQuerySet(ClientScopedQuerySet):
    def open(self):
        from .choices import TaskStatus

        return self.filter(status=TaskStatus.OPEN)

    def shared_with(self, user):
        return _on_shared_runs(user)

    def visible_to(self, user):
        """Tasks a person may see: those they hold, and in each of their clients the tasks for one of their roles
        in one of their regions (a task for no region is everyone's with the role; a task for several regions is
        seen by the people of any of them; a member with no regions is not region-scoped). Agency admins see all of
        their clients' tasks. An external member sees these only among the runs shared with them (and no
        overseeing: their roles grant no capability). One query whatever the number of memberships."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        memberships = user.membership_list
        scoped = super().visible_to(user)
        overseers = set(roles_with(Capability.MANAGE_CLIENT))
        condition = Q(assignee_id=user.pk)
        for membership in memberships:
            codes = set(membership.role_codes)
            if codes & overseers and RoleCode.EXTERNAL not in codes:
                condition |= Q(client_id=membership.client_id)
                continue
            codes.discard(RoleCode.EXTERNAL)
            if not codes:
                continue
            roles = Q()
            for code in sorted(codes):
                roles |= Q(roles_key__contains=f",{code},")
            where = Q()
            regions = sorted(region.code for region in membership.regions.all())
            if regions:
                where = Q(regions_key="")
                for code in regions:
                    where |= Q(regions_key__contains=f",{code},")
            condition |= Q(client_id=membership.client_id) & roles & where
        return scoped.filter(condition)


def _on_shared_runs(user):
    return Q(shared_subject(user, type_field="run__subject_type", id_field="run__subject_id"))


class CommentQuerySet(ClientScopedQuerySet):
    def shared_with(self, user):
        return _on_shared_runs(user)


class DecisionQuerySet(ClientScopedQuerySet):
    def applied(self):
        """Decisions OpenText took: the ones a run's outcome, reasons and write-back are made of."""
        return self.filter(applied=True)

    def shared_with(self, user):
        return _on_shared_runs(user)
