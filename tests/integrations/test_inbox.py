"""W1-W4, W6, W8: inbound hints are verified, stored once, answered at once, and anything bad is refused."""

import json
import time
import uuid

import pytest
from django.test import Client as HttpClient

from apps.integrations.models import InboundEvent
from apps.integrations.signing import SignatureError, parse_signatures, sign, verify
from tests.concurrency import at_once

SECRET = "test-notify-secret-0123456789"
URL = "/integrations/smintio/notify/"


@pytest.fixture(autouse=True)
def notify_secret(settings):
    settings.NOTIFY_SECRETS = [SECRET]


class Queue:
    """The jobs in django-q2's ORM broker (the test settings' broker), read back from its table."""

    def __len__(self):
        from django_q.models import OrmQ

        return OrmQ.objects.count()

    def __iter__(self):
        from django_q.models import OrmQ

        return iter([(row.task["func"],) for row in OrmQ.objects.order_by("id")])

    def __eq__(self, other):
        return list(self) == other


@pytest.fixture
def queued():
    return Queue()


def _body(event_id=None, **extra):
    return json.dumps(
        {"event_id": event_id or str(uuid.uuid4()), "event": "global-transaction-history-update", **extra}
    ).encode()


def _post(body: bytes, *, timestamp=None, signature=None, secret=SECRET, url=URL, http=None):
    timestamp = int(time.time()) if timestamp is None else timestamp
    headers = {"X-Timestamp": str(timestamp), "X-Signature": signature or sign(body, timestamp, secret)}
    return (http or HttpClient()).post(url, body, content_type="application/json", headers=headers)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("url", [URL, "/integrations/opentext/callback/"])
def test_a_valid_signed_hint_is_stored_once_and_queues_one_pull(url, queued):
    response = _post(_body("evt-1"), url=url)
    assert response.status_code == 202
    assert InboundEvent.objects.get().event_id == "evt-1"
    assert [job[0] for job in queued] == ["apps.integrations.tasks.process_inbound_event"]


@pytest.mark.django_db(transaction=True)
def test_the_same_delivery_ten_times_is_one_event_and_one_job(queued):
    body = _body("evt-repeat")
    statuses = [_post(body).status_code for _ in range(10)]
    assert statuses == [202] + [200] * 9
    assert InboundEvent.objects.count() == 1
    assert len(queued) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_delivery_ten_times_concurrently_is_one_event_and_one_job(queued):
    body = _body("evt-concurrent")
    statuses = at_once(lambda: _post(body).status_code, 10)
    assert sorted(statuses) == [200] * 9 + [202]
    assert InboundEvent.objects.count() == 1
    assert len(queued) == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("tampered body", 401),
        ("wrong secret", 401),
        ("missing headers", 401),
        ("garbage signature", 401),
        ("empty body", 401),
        ("malformed json", 400),
        ("no event id", 400),
        ("not an object", 400),
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(case, expected, queued):
    body = _body()
    timestamp = int(time.time())
    if case == "tampered body":
        response = HttpClient().post(
            URL,
            body.replace(b"global", b"globaL"),
            content_type="application/json",
            headers={"X-Timestamp": str(timestamp), "X-Signature": sign(body, timestamp, SECRET)},
        )
    elif case == "wrong secret":
        response = _post(body, secret="another-secret")
    elif case == "missing headers":
        response = HttpClient().post(URL, body, content_type="application/json")
    elif case == "garbage signature":
        response = _post(body, signature="sha256=zz-not-hex")
    elif case == "empty body":
        response = HttpClient().post(URL, b"", content_type="application/json")
    elif case == "malformed json":
        response = _post(b"{not json")
    elif case == "no event id":
        response = _post(json.dumps({"event": "x"}).encode())
    else:
        response = _post(b'["a list"]')
    assert response.status_code == expected
    assert response["Content-Type"] == "application/problem+json"
    assert InboundEvent.objects.count() == 0
    assert queued == []


@pytest.mark.django_db
@pytest.mark.parametrize(("offset", "expected"), [(-301, 401), (301, 401), (-299, 202), (299, 202)])
def test_timestamps_further_than_five_minutes_either_way_are_refused(offset, expected, queued):
    response = _post(_body(), timestamp=int(time.time()) + offset)
    assert response.status_code == expected


@pytest.mark.django_db
def test_oversized_bodies_are_refused_by_their_declared_length(queued):
    big = b'{"event_id": "x", "event": "y", "pad": "' + b"a" * (3 * 1024 * 1024) + b'"}'
    response = _post(big)
    assert response.status_code == 413
    assert InboundEvent.objects.count() == 0


@pytest.mark.django_db
def test_deeply_nested_json_is_refused_not_a_server_error(queued):
    response = _post(b"[" * 30_000 + b"]" * 30_000)
    assert response.status_code == 400
    assert InboundEvent.objects.count() == 0


@pytest.mark.django_db
def test_get_is_not_allowed():
    assert HttpClient().get(URL).status_code == 405


@pytest.mark.django_db
def test_secret_rotation_accepts_either_signature_during_the_overlap_only(settings, queued):
    old, new = "old-secret-aaaaaaaaaaaaaaaa", "new-secret-bbbbbbbbbbbbbbbb"
    body = _body()
    timestamp = int(time.time())
    both = f"{sign(body, timestamp, old)}, {sign(body, timestamp, new)}"
    settings.NOTIFY_SECRETS = [new, old]
    assert _post(body, timestamp=timestamp, signature=both).status_code == 202
    assert _post(_body(), secret=old).status_code == 202
    settings.NOTIFY_SECRETS = [new]
    assert _post(_body(), secret=old).status_code == 401
    assert _post(_body(), secret=new).status_code == 202


def test_verify_never_leaks_the_secret():
    with pytest.raises(SignatureError) as info:
        verify(b"{}", timestamp_header=str(int(time.time())), signature_header="sha256=" + "0" * 64, secrets=[SECRET])
    assert SECRET not in str(info.value)


def test_signature_header_parser_ignores_junk():
    digest = "a" * 64
    assert parse_signatures(f"sha256={digest}, md5=abc, sha256=short, ,sha256={'B' * 64}") == [digest, "b" * 64]


# -- issue 9: hints cost one pull per target, and a hint nobody can act on is said so ------------------------------
@pytest.mark.django_db(transaction=True)
def test_a_burst_of_a_thousand_opentext_hints_queues_one_job_that_polls_once(queued, monkeypatch):
    from apps.integrations import tasks

    url = "/integrations/opentext/callback/"
    http = HttpClient()
    started = time.monotonic()
    for number in range(1000):
        body = _body(f"ot-{number}", businessKey=f"acme:asset_approval:{number}:x", event_name="step-reached")
        assert _post(body, url=url, http=http).status_code == 202
    assert len(queued) == 1  # not 1,000 mirrors in front of everyone else's jobs
    polls = []
    monkeypatch.setattr(tasks, "poll_opentext", lambda: polls.append(1) or {})
    first = InboundEvent.objects.order_by("id").first()
    assert tasks.process_inbound_event(first.pk) == "polled"
    assert polls == [1]
    assert not InboundEvent.objects.filter(processed_at__isnull=True).exists()
    assert tasks.process_inbound_event(first.pk) == "already processed"
    assert time.monotonic() - started < 60


@pytest.mark.django_db(transaction=True)
def test_a_hint_arriving_after_its_job_ran_queues_a_new_one(queued):
    from apps.integrations import tasks

    _post(_body("s-1", tenant_id="nobody"))
    tasks.process_inbound_event(InboundEvent.objects.get(event_id="s-1").pk)
    _post(_body("s-2", tenant_id="nobody"))  # the change it hints at may be newer than the pull that ran
    assert len(queued) == 2


@pytest.mark.django_db(transaction=True)
def test_a_smintio_hint_for_a_tenant_no_client_has_is_flagged_in_the_log_and_on_the_sync_page(queued, caplog, login):
    """No client's admin can be told (the hint is about no client of theirs): staff operators see it."""
    from apps.integrations import tasks
    from tests.factories import UserFactory

    _post(_body("t-1", tenant_id="acme-old-tenant"))
    event = InboundEvent.objects.get(event_id="t-1")
    with caplog.at_level("WARNING"):
        assert tasks.process_inbound_event(event.pk) == "no connection"
    event.refresh_from_db()
    assert "acme-old-tenant" in event.note
    assert any("acme-old-tenant" in record.getMessage() for record in caplog.records)
    page = login(UserFactory(email="operator@agency.example", is_staff=True)).get("/sync/").content.decode()
    assert "ignored" in page and "acme-old-tenant" in page


# -- issue 11 item 14: a hint is JSON, and the sync log shows a viewer only their clients' hints --------------------
@pytest.mark.django_db
@pytest.mark.parametrize("url", [URL, "/integrations/opentext/callback/"])
@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml", ""])
def test_a_hint_that_is_not_json_is_refused_with_415(url, content_type, queued):
    body = _body("ct-1")
    timestamp = int(time.time())
    headers = {"X-Timestamp": str(timestamp), "X-Signature": sign(body, timestamp, SECRET)}
    response = HttpClient().post(url, body, content_type=content_type, headers=headers)
    assert response.status_code == 415
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 415 and "application/json" in response.json()["detail"]
    assert not InboundEvent.objects.exists()
    assert queued == []


@pytest.mark.django_db
@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "application/cloudevents+json"])
def test_json_media_types_with_parameters_or_a_json_suffix_are_accepted(content_type, queued):
    body = _body()
    timestamp = int(time.time())
    headers = {"X-Timestamp": str(timestamp), "X-Signature": sign(body, timestamp, SECRET)}
    assert HttpClient().post(URL, body, content_type=content_type, headers=headers).status_code == 202


@pytest.fixture
def hints_of_two_clients(client_a, client_b, queued):
    """One Smint.io hint per client (by its connection's tenant), an OpenText hint about one of client B's runs,
    and a hint for a tenant nobody has: each hint's ``event`` names it."""
    from apps.clients.models import SmintioConnection
    from apps.workflows.models import WorkflowRun

    SmintioConnection.objects.create(client=client_a, tenant="acme-tenant")
    SmintioConnection.objects.create(client=client_b, tenant="beta-tenant")
    WorkflowRun.objects.create(
        client=client_b,
        process_key="asset_approval",
        business_key="beta:asset_approval:7:x",
        subject_type="assets.asset",
        subject_id=7,
        title="Beta hero",
    )
    _post(_body("h-a", event="acme-tenant-changed", tenant_id="acme-tenant"))
    _post(_body("h-b", event="beta-tenant-changed", tenant_id="beta-tenant"))
    _post(
        _body("h-ot", event="beta-run-step", businessKey="beta:asset_approval:7:x"),
        url="/integrations/opentext/callback/",
    )
    _post(_body("h-x", event="nobodys-tenant-changed", tenant_id="nobody"))
    return {"a": "acme-tenant-changed", "b": ["beta-tenant-changed", "beta-run-step"], "x": "nobodys-tenant-changed"}


def _hint_section(page: str) -> str:
    return page.split('id="hints-title"', 1)[1].split("</section>", 1)[0]


@pytest.mark.django_db
def test_the_sync_log_lists_only_the_hints_of_the_viewers_clients(hints_of_two_clients, agency_admin, outsider, login):
    names = hints_of_two_clients
    acme = _hint_section(login(agency_admin).get("/sync/").content.decode())
    assert names["a"] in acme
    assert not any(name in acme for name in [*names["b"], names["x"]])
    beta = _hint_section(login(outsider).get("/sync/").content.decode())
    assert all(name in beta for name in names["b"])
    assert names["a"] not in beta and names["x"] not in beta


@pytest.mark.django_db
def test_staff_operators_see_every_hint_and_others_see_none(hints_of_two_clients, requester, login):
    from tests.factories import UserFactory

    operator = UserFactory(email="operator@agency.example", is_staff=True)
    everything = _hint_section(login(operator).get("/sync/").content.decode())
    names = hints_of_two_clients
    assert all(name in everything for name in [names["a"], *names["b"], names["x"]])
    assert InboundEvent.objects.visible_to(requester).count() == 0  # no audit rights: no hints


# -- issue 11 item 10: an event id is kept whole; ids sharing a long prefix are two events --------------------------
@pytest.mark.django_db
def test_two_long_event_ids_sharing_a_prefix_are_two_events(queued):
    prefix = "evt-" + "p" * 300
    first, second = prefix + "-one", prefix + "-two"
    assert _post(_body(first)).status_code == 202
    assert _post(_body(second)).status_code == 202
    assert _post(_body(second)).status_code == 200  # the same id again is still a duplicate
    assert sorted(InboundEvent.objects.values_list("event_id", flat=True)) == [first, second]


@pytest.mark.django_db
def test_an_event_id_longer_than_a_thousand_characters_is_refused(queued):
    assert _post(_body("e" * 1000)).status_code == 202
    response = _post(_body("e" * 1001))
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert "1,000" in response.json()["detail"]
    assert InboundEvent.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("timestamp", ["9" * 400, "²", "-5", "1e9", " 1"])
def test_a_malformed_timestamp_is_a_refused_signature_not_a_500(timestamp, queued):
    body = _body()
    response = HttpClient().post(
        URL, body, content_type="application/json", headers={"X-Timestamp": timestamp, "X-Signature": "sha256=00"}
    )
    assert response.status_code == 401
    assert "X-Timestamp is not a unix time" in response.json()["detail"]


@pytest.mark.django_db
@pytest.mark.parametrize("declared", ["²", "١٢", "-1", "12abc"])
def test_a_content_length_that_is_not_ascii_digits_is_refused_before_reading(declared, queued):
    response = HttpClient().post(URL, _body(), content_type="application/json", CONTENT_LENGTH=declared)
    assert response.status_code == 413
    assert InboundEvent.objects.count() == 0
