"""Issue 12 item 7: the inbox's Process filter offers every flow of the registry, not only asset approval."""

import pytest

from apps.workflows import flows
from apps.workflows.filtersets import TaskFilterSet

pytestmark = pytest.mark.django_db


def test_the_process_filter_lists_every_registered_flow():
    offered = dict(TaskFilterSet().form.fields["process"].choices)
    for flow in flows.all_flows():
        assert offered[flow.key] == flow.label
    assert {"asset_approval", "rights_renewal", "compliance_review"} <= set(offered)


def test_filtering_by_a_flow_other_than_approval_is_accepted():
    filterset = TaskFilterSet({"process": "compliance_review"})
    assert filterset.is_valid(), filterset.errors
