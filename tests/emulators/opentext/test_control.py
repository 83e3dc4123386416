"""``_emulator/*`` control routes and the in-process provisioning functions."""

import time

import pytest
import requests

from apps.emulators.opentext import contract, provisioning
from apps.emulators.opentext.models import OtProcessInstance, OtTenant, OtUser

from .conftest import CLIENT_ID, CLIENT_SECRET, HISTORY_DELAY, TENANT, variables_of

SWITCHES = ("ended_instances_readable", "task_outcomes_in_json", "historic_task_outcome", "complete_requires_assignee")


def test_tenant_setup_is_idempotent(ot):
    state = ot.control(f"tenants/{TENANT}", method="get").json()
    assert state["client_ids"] == [CLIENT_ID]
    assert len(state["users"]) == 6
    assert OtTenant.objects.filter(tenant_id=TENANT).count() == 1
    assert OtUser.objects.filter(tenant__tenant_id=TENANT, email="legal@acme.example").count() == 1


def test_provisioning_functions_in_process(db):
    provisioning.ensure_tenant("seed-tenant", name="Seed")
    provisioning.ensure_service_client("seed-tenant", "seed-client", "seed-secret")
    provisioning.ensure_user("seed-tenant", "a@seed.example", groups=["legal", "brand"], password="pw")
    provisioning.ensure_user("seed-tenant", "a@seed.example", groups=["legal"])
    user = OtUser.objects.get(tenant__tenant_id="seed-tenant", email="a@seed.example")
    assert user.groups == ["legal"]
    assert user.password_hash  # password=None keeps the existing one
    assert provisioning.user_groups(user.tenant, "A@seed.example") == ["legal"]
    with pytest.raises(ValueError, match="e-mail"):
        provisioning.ensure_user("seed-tenant", "not-an-email")


def test_users_route_bulk_and_list(ot):
    body = {"users": [{"email": "x@acme.example", "groups": ["legal"]}, {"email": "y@acme.example", "groups": []}]}
    listed = ot.control(f"tenants/{TENANT}/users", body).json()["users"]
    assert {"email": "x@acme.example", "groups": ["legal"], "has_password": False} in listed
    assert ot.control(f"tenants/{TENANT}/users", method="get").status_code == 200
    assert ot.control("tenants/nope/users", {"email": "z@acme.example"}).status_code == 404


def test_extra_service_client(ot):
    assert ot.control(f"tenants/{TENANT}/clients", {"client_id": "second", "client_secret": "two"}).status_code == 200
    response = ot.token(grant_type="client_credentials", client_id="second", client_secret="two")
    assert response.status_code == 200


def test_reset_one_tenant_or_all(ot, started):
    ot.control("tenants", {"tenant_id": "keep-me", "client_id": "k", "client_secret": "k"})
    assert ot.control("reset", {"tenant": TENANT}).json()["tenants_removed"] == 1
    assert not OtProcessInstance.objects.exists()
    assert OtTenant.objects.filter(tenant_id="keep-me").exists()
    assert ot.get("workflow/v1/tasks").status_code == 401
    ot.control("reset")
    assert not OtTenant.objects.exists()


def test_claim_and_complete_elsewhere(ot, started):
    task = ot.open_task(started["id"], "Legal review")
    claimed = ot.control(f"tasks/{task['id']}/claim", {"user": "legal@acme.example"})
    assert claimed.status_code == 200
    assert ot.get(f"workflow/v1/tasks/{task['id']}").json()["assignee"] == "legal@acme.example"
    assert ot.control(f"tasks/{task['id']}/claim", {"user": "legal2@acme.example"}).status_code == 409
    assert ot.control(f"tasks/{task['id']}/claim", {"user": "legal2@acme.example", "force": True}).status_code == 200

    refused = ot.control(f"tasks/{task['id']}/complete", {"user": "brand@acme.example", "outcome": "approved"})
    assert refused.status_code == 403  # neither the assignee nor a candidate
    # A candidate may complete a task another candidate holds (Flowable's complete checks no assignee).
    done = ot.control(f"tasks/{task['id']}/complete", {"user": "legal@acme.example", "outcome": "approved"})
    assert done.status_code == 200
    assert done.json()["endTime"] is not None  # control routes show the real end, whatever the history delay
    assert done.json()["assignee"] == "legal2@acme.example"
    assert done.json()["outcome"] == "approved"

    brand = ot.open_task(started["id"], "Brand review")
    unassigned = ot.control(f"tasks/{brand['id']}/complete", {"user": "brand@acme.example", "outcome": "approved"})
    assert unassigned.json()["assignee"] == "brand@acme.example"
    assert ot.control(f"tasks/{brand['id']}/complete", {"user": "brand@acme.example"}).status_code == 404
    assert [t["name"] for t in ot.tasks(processInstanceId=started["id"])] == ["Marketing review"]


def test_complete_elsewhere_validates(ot, started):
    task = ot.open_task(started["id"], "Legal review")
    assert ot.control(f"tasks/{task['id']}/complete", {"outcome": "approved"}).status_code == 400
    legal = {"user": "legal@acme.example", "outcome": "meh"}
    assert ot.control(f"tasks/{task['id']}/complete", legal).status_code == 400
    assert ot.control(f"tasks/{task['id']}/complete", {"user": "a@acme.example", "outcome": "meh"}).status_code == 403


def test_complete_elsewhere_with_the_assignee_switch(ot, started):
    ot.control(f"tenants/{TENANT}/settings", {"complete_requires_assignee": True})
    task = ot.open_task(started["id"], "Legal review")
    ot.control(f"tasks/{task['id']}/claim", {"user": "legal2@acme.example"})
    assert ot.control(f"tasks/{task['id']}/complete", {"user": "legal@acme.example"}).status_code == 409
    forced = {"user": "legal@acme.example", "outcome": "approved", "force": True}
    assert ot.control(f"tasks/{task['id']}/complete", forced).status_code == 200


def test_cancel_instance_with_reason(ot, started):
    response = ot.control(f"process-instances/{started['id']}/cancel", {"reason": "asset deleted in Smint.io"})
    assert response.status_code == 200
    assert response.json()["ended"] is True
    assert response.json()["completed"] is False
    assert response.json()["deleteReason"] == "asset deleted in Smint.io"
    assert ot.tasks(processInstanceId=started["id"]) == []
    ot.assert_gone(started["id"])
    ot.wait_for_history()
    reasons = {t["deleteReason"] for t in ot.historic_tasks(processInstanceId=started["id"])}
    assert reasons == {"asset deleted in Smint.io"}
    history = ot.history(started["id"])
    assert history["deleteReason"] == "asset deleted in Smint.io"
    assert history["endTime"] is not None
    assert history["endActivityId"] is None  # deleted, not ended at an end event
    assert ot.control(f"process-instances/{started['id']}/cancel", {}).status_code == 409
    assert ot.control("process-instances/00000000-0000-0000-0000-000000000000/cancel", {}).status_code == 404


def test_cancel_defaults_to_flowables_reason_and_keeps_the_variables(ot, started):
    """An outcome variable an earlier task wrote survives a deletion: only endTime and deleteReason tell the end."""
    ot.decide(started["id"], "Legal review", "approved")
    assert ot.control(f"process-instances/{started['id']}/cancel").status_code == 200
    ot.wait_for_history()
    history = ot.history(started["id"])
    assert history["deleteReason"] == "process instance deleted"  # Flowable's DeleteReason.PROCESS_INSTANCE_DELETED
    assert variables_of(history)["legalOutcome"] == "approved"
    assert "approvalStatus" not in variables_of(history)
    rows = {t["name"]: t["deleteReason"] for t in ot.historic_tasks(processInstanceId=started["id"])}
    assert rows == {
        "Legal review": None,
        "Brand review": "process instance deleted",
        "Marketing review": "process instance deleted",
    }


def test_read_back_instance_state(ot, started):
    ot.decide(started["id"], "Legal review", "approved")
    state = ot.control(f"process-instances/{started['id']}", method="get").json()
    assert state["variables"]["legalOutcome"] == "approved"
    assert variables_of(state["instance"])["client"] == "acme"
    assert sorted(t["name"] for t in state["openTasks"]) == ["Brand review", "Marketing review"]
    assert [t["name"] for t in state["closedTasks"]] == ["Legal review"]
    # A test aid shows everything, whatever the switches and the history delay hide from the API.
    assert state["closedTasks"][0]["outcome"] == "approved"
    assert state["closedTasks"][0]["endTime"] is not None
    assert state["openTasks"][0]["outcomeVariable"]


def test_instance_state_shows_an_ended_instance_at_once(ot, started):
    ot.decide(started["id"], "Legal review", "rejected")
    state = ot.control(f"process-instances/{started['id']}", method="get").json()
    assert state["instance"]["ended"] is True
    assert state["history"]["endTime"] is not None
    assert state["history"]["deleteReason"] == "terminate end event"
    assert state["variables"]["approvalStatus"] == "rejected"


def test_switches_are_off_by_default_and_set_through_the_control_routes(ot):
    state = ot.control(f"tenants/{TENANT}", method="get").json()
    assert {name: state[name] for name in SWITCHES} == dict.fromkeys(SWITCHES, False)
    assert state["history_delay_seconds"] == HISTORY_DELAY
    assert set(contract.SWITCHES) == set(SWITCHES)
    for name in SWITCHES:
        on = ot.control(f"tenants/{TENANT}/settings", {name: True}).json()
        assert on[name] is True
        assert sum(on[other] for other in SWITCHES) == 1
        assert ot.control(f"tenants/{TENANT}/settings", {name: False}).json()[name] is False
    assert ot.control(f"tenants/{TENANT}/settings", {"ended_instances_readable": "yes"}).status_code == 400
    assert ot.control(f"tenants/{TENANT}/settings", {"history_delay_seconds": -1}).status_code == 400


def test_tenant_created_with_switches(ot):
    body = {"tenant_id": "relaxed", "client_id": "c", "client_secret": "s", "task_outcomes_in_json": True}
    state = ot.control("tenants", body).json()
    assert state["task_outcomes_in_json"] is True
    assert state["ended_instances_readable"] is False
    # Creating again without naming a switch keeps it.
    assert ot.control("tenants", {"tenant_id": "relaxed"}).json()["task_outcomes_in_json"] is True
    assert ot.control("tenants", {"tenant_id": "x", "complete_requires_assignee": 1}).status_code == 400


def test_history_delay_of_a_new_tenant_comes_from_the_setting(db, settings):
    settings.EMULATOR_OPENTEXT_HISTORY_DELAY_SECONDS = 0.7
    assert provisioning.ensure_tenant("fresh").history_delay_seconds == 0.7
    assert provisioning.setup_tenant("seeded-tenant").history_delay_seconds == 0.7
    assert provisioning.setup_tenant("seeded-tenant", history_delay_seconds=0).history_delay_seconds == 0
    del settings.EMULATOR_OPENTEXT_HISTORY_DELAY_SECONDS
    assert provisioning.ensure_tenant("unset").history_delay_seconds == 1.0


def test_configure_tenant_switches_in_process(db):
    provisioning.ensure_tenant("knobs")
    tenant = provisioning.configure_tenant("knobs", ended_instances_readable=True, historic_task_outcome=True)
    assert provisioning.switches(tenant) == {
        "ended_instances_readable": True,
        "task_outcomes_in_json": False,
        "historic_task_outcome": True,
        "complete_requires_assignee": False,
    }
    tenant = provisioning.configure_tenant("knobs", historic_task_outcome=False)
    assert tenant.ended_instances_readable is True
    assert tenant.historic_task_outcome is False
    with pytest.raises(ValueError, match="true or false"):
        provisioning.configure_tenant("knobs", complete_requires_assignee="yes")


def test_control_routes_reject_wrong_methods_and_bodies(ot):
    assert ot.control("reset", method="get").status_code == 405
    response = ot.http.post("/emulators/opentext/_emulator/tenants", "[1]", content_type="application/json")
    assert response.status_code == 400
    assert ot.control("tenants", {"name": "no id"}).status_code == 400


def test_over_real_http(live_server, seeded):
    """The emulator as the portal's client meets it: a socket, Basic credentials, JSON bodies."""
    base = f"{live_server.url}/emulators/opentext"
    token = requests.post(
        f"{base}/tenants/{TENANT}/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=(CLIENT_ID, CLIENT_SECRET),
        timeout=10,
    )
    assert token.status_code == 200
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    started = requests.post(
        f"{base}/workflow/v1/process-instances",
        json={"processDefinitionKey": "asset_approval", "businessKey": "http-1"},
        headers=headers,
        timeout=10,
    )
    assert started.status_code == 201
    tasks = requests.get(f"{base}/workflow/v1/tasks", params={"candidateGroup": "legal"}, headers=headers, timeout=10)
    [task] = tasks.json()["_embedded"]["tasks"]
    done = requests.post(
        f"{base}/workflow/v1/tasks/{task['id']}",
        json={"action": "complete", "outcome": "rejected"},
        headers=headers,
        timeout=10,
    )
    assert done.status_code == 200
    instance_id = started.json()["id"]
    runtime = requests.get(f"{base}/workflow/v1/process-instances/{instance_id}", headers=headers, timeout=10)
    assert runtime.status_code == 404
    time.sleep(HISTORY_DELAY + 0.05)
    history = requests.get(f"{base}/workflow/v1/historic-process-instances/{instance_id}", headers=headers, timeout=10)
    assert history.json()["endActivityId"] == "end_rejected"
