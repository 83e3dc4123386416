"""Issue 12 item 5: people read audit actions in words, rows name their subject, the filter offers labels, and the
CSV's before/after are JSON."""

import csv
import io
import json

import pytest

from apps.audit import services as audit
from apps.audit.labels import action_label
from apps.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_known_actions_have_labels_and_unknown_ones_are_humanised():
    assert action_label("reviews.asset.approve") == "Asset approved"
    assert action_label("exceptions.case.take_down") == "Case decided: take down"
    assert action_label("widgets.gadget.fell_over") == "Gadget: fell over"
    assert "_" not in action_label("odd_key")


def test_the_audit_page_shows_labels_and_offers_labelled_choices(client_a, legal, login):
    audit.record("reviews.asset.approve", actor=legal, client=client_a, reason="fine")
    page = login(legal).get("/audit/").content.decode()
    results = page.split('id="results"', 1)[1]
    assert "Asset approved" in results and ">reviews.asset.approve<" not in results
    assert '<option value="reviews.asset.approve">Asset approved</option>' in page
    assert '<optgroup label="Reviews">' in page


def test_the_action_filter_still_takes_an_apps_prefix(client_a, legal, login):
    audit.record("reviews.asset.approve", actor=legal, client=client_a)
    audit.record("exceptions.case.open", actor=legal, client=client_a)
    page = login(legal).get("/audit/", {"action": "reviews."}).content.decode().split('id="results"', 1)[1]
    assert "Asset approved" in page and "Case opened" not in page


def test_the_csv_export_writes_before_and_after_as_json(client_a, legal, login):
    audit.record(
        "clients.client.update_policies",
        actor=legal,
        client=client_a,
        before={"rights_warning_days": 30, "name": "Acme"},
        after={"rights_warning_days": 21, "flag": True, "none": None},
    )
    body = b"".join(login(legal).get("/audit/export.csv").streaming_content).decode()
    row = next(r for r in csv.DictReader(io.StringIO(body)) if r["action"] == "clients.client.update_policies")
    assert json.loads(row["before"]) == {"rights_warning_days": 30, "name": "Acme"}
    assert json.loads(row["after"]) == {"rights_warning_days": 21, "flag": True, "none": None}


def test_a_decision_is_audited_against_the_task_and_its_asset(client_a, legal):
    from apps.workflows import services as workflows
    from tests.reviews.factories import approval_run, licensed_asset, review_task

    task = review_task(approval_run(licensed_asset(client_a, name="Alpine hero")), "legal")
    workflows.decide(task, actor=legal, outcome="rejected", reason="No model release")
    event = AuditEvent.objects.filter(object_type="workflows.task", object_id=str(task.pk)).latest("id")
    assert "Alpine hero" in event.object_repr, event.object_repr
