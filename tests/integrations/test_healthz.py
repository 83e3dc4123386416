from datetime import timedelta

import pytest
from django.utils import timezone

from apps.integrations.models import WorkerHeartbeat
from apps.integrations.tasks import heartbeat

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_broker_and_worker(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["checks"]["database"]["ok"] and body["checks"]["broker"]["ok"]
    assert body["checks"]["worker"] == {"ok": False, "error": "no heartbeat yet"}
    assert response["Cache-Control"].startswith("max-age=0")


def test_a_stopped_worker_fails_only_the_monitoring_variant(client, settings):
    WorkerHeartbeat.objects.create(cluster=settings.Q_CLUSTER["name"], seen_at=timezone.now() - timedelta(minutes=10))
    assert client.get("/healthz").status_code == 200
    response = client.get("/healthz?worker=1")
    assert response.status_code == 503
    assert response.json()["checks"]["worker"]["ok"] is False


def test_the_heartbeat_job_makes_the_worker_healthy(client):
    heartbeat()
    heartbeat()  # idempotent: one row per cluster
    assert WorkerHeartbeat.objects.count() == 1
    response = client.get("/healthz?worker=1")
    assert response.status_code == 200
    assert response.json()["checks"]["worker"]["ok"] is True


def test_the_heartbeat_is_scheduled_by_migrate():
    from django_q.models import Schedule

    schedule = Schedule.objects.get(name="integrations.heartbeat")
    assert schedule.func == "apps.integrations.tasks.heartbeat" and schedule.minutes == 1


def test_healthz_is_get_only(client):
    assert client.post("/healthz").status_code == 405
