"""Usage compliance (flow 8): each rule fires on a crafted event stream and stays quiet on a normal one; a hit
opens one case (later events add evidence); the corrective action reaches the Smint.io emulator once."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.accounts.models import Notice
from apps.assets.models import Asset, UsageEvent
from apps.common.roles import RoleCode
from apps.exceptions import compliance, services
from apps.exceptions.choices import CaseKind, CaseState, Disposition, RuleKind
from apps.exceptions.models import Case, ComplianceRule
from apps.workflows.choices import TaskStatus
from apps.workflows.models import Task, WorkflowRun
from apps.workflows.services import decide
from tests.concurrency import at_once
from tests.factories import member
from tests.reviews.factories import licensed_asset

pytestmark = pytest.mark.django_db

_ids = itertools.count(1)


def use(asset, *, who="maria@acme.example", ago=timedelta(days=2), event="download", country="DE", channel="web"):
    return UsageEvent.objects.create(
        client=asset.client,
        asset=asset,
        uuid=f"evt-{next(_ids)}",
        content_element_uuid=asset.content_element_uuid,
        event=event,
        user_email=who,
        occurred_at=timezone.now() - ago,
        country=country,
        channel=channel,
        source="api",
    )


def cases(client, rule=None):
    found = Case.objects.filter(client=client, kind=CaseKind.COMPLIANCE)
    return found.filter(evidence__rule=rule) if rule else found


@pytest.fixture
def asset(client_a):
    """Licensed for the web in Germany and Austria, 400 days, 5 downloads."""
    asset = licensed_asset(
        client_a, geographies=("geography_germany_de", "geography_austria_at"), usages=("usage_web",)
    )
    asset.license_purchases.update(max_downloads=5, max_users=None)
    return asset


def test_a_normal_stream_opens_nothing(client_a, asset):
    for n in range(4):
        use(asset, who=f"user{n}@acme.example", ago=timedelta(days=n + 1), country="AT" if n % 2 else "DE")
    counts = compliance.detect()
    assert counts.get("events") == 4 and counts.get("hits", 0) == 0
    assert not cases(client_a).exists()


def test_downloads_reaching_the_licence_limit_open_one_case_and_later_ones_add_evidence(client_a, asset):
    events = [use(asset, who=f"user{n}@acme.example", ago=timedelta(days=n + 1)) for n in range(5)]
    compliance.detect()
    case = cases(client_a, RuleKind.OVER_LIMIT).get()
    assert case.summary == "5 downloads on record against a licensed 5 (100%)."
    assert sorted(case.evidence["events"]) == sorted(e.pk for e in events)
    assert (
        WorkflowRun.objects.get(subject_type="exceptions.case", subject_id=case.pk).process_key == "compliance_review"
    )
    later = use(asset, who="late@acme.example", ago=timedelta(hours=1))
    compliance.detect()
    case.refresh_from_db()
    assert cases(client_a, RuleKind.OVER_LIMIT).count() == 1
    assert later.pk in case.evidence["events"] and case.evidence["event_count"] == 6


def test_a_burst_by_one_person_fires_and_one_download_fewer_does_not(client_a, asset):
    others = [licensed_asset(client_a, name=f"Other {n}") for n in range(3)]
    rule = ComplianceRule.objects.get_or_create(client=client_a, kind=RuleKind.BURST)[0]
    rule.burst_downloads, rule.burst_minutes = 6, 30
    rule.save()
    for n in range(5):  # 5 in 25 minutes: quiet
        use(others[n % 3], who="Bulk@Agency.example", ago=timedelta(hours=5, minutes=-5 * n))
    compliance.detect()
    assert not cases(client_a, RuleKind.BURST).exists()
    use(others[0], who="bulk@agency.example", ago=timedelta(hours=4, minutes=35))  # the 6th within 30 minutes
    compliance.detect()
    case = cases(client_a, RuleKind.BURST).get()
    assert "bulk@agency.example downloaded 6 times within 30 minutes (3 assets)" in case.summary
    assert len(case.evidence["events"]) == 6


def test_use_outside_the_licensed_territory_or_channel_fires_per_country_and_channel(client_a, asset):
    use(asset, country="FR")
    use(asset, country="FR", ago=timedelta(days=1))
    use(asset, country="DE", channel="print")
    use(asset, country="AT", channel="web")  # allowed
    compliance.detect()
    territory = cases(client_a, RuleKind.TERRITORY).get()
    assert territory.key == "territory:FR" and territory.evidence["event_count"] == 2
    assert "FR" in territory.summary
    channel = cases(client_a, RuleKind.CHANNEL).get()
    assert channel.key == "channel:usage_print" and "Print" in channel.summary


def test_a_licence_that_does_not_say_where_is_unknown_not_a_hit(client_a):
    silent = licensed_asset(client_a, geographies=(), usages=())
    use(silent, country="BR", channel="print")
    compliance.detect()
    assert not cases(client_a).exists()


def test_use_after_the_rights_lapsed_fires_after_expiry_only(client_a):
    lapsed = licensed_asset(client_a, valid_days=-3)
    use(lapsed, ago=timedelta(days=1), country="US", channel="print")
    use(lapsed, ago=timedelta(days=10))  # while in force: fine
    compliance.detect()
    assert list(cases(client_a).values_list("evidence__rule", flat=True)) == [RuleKind.AFTER_EXPIRY]


def test_a_switched_off_rule_stays_quiet_and_each_event_is_judged_once(client_a, asset):
    ComplianceRule.objects.filter(client=client_a).delete()
    compliance.ensure_rules(client_a)
    ComplianceRule.objects.filter(client=client_a, kind=RuleKind.TERRITORY).update(enabled=False)
    use(asset, country="FR")
    assert compliance.detect().get("hits", 0) == 0
    ComplianceRule.objects.filter(client=client_a, kind=RuleKind.TERRITORY).update(enabled=True)
    assert compliance.detect().get("events", 0) == 0  # already judged: switching a rule on is not retroactive


def test_the_rule_routes_the_case_to_its_team(client_a, asset):
    ComplianceRule.objects.get_or_create(client=client_a, kind=RuleKind.TERRITORY)
    ComplianceRule.objects.filter(client=client_a, kind=RuleKind.TERRITORY).update(route_to="procurement")
    use(asset, country="FR")
    compliance.detect()
    run = WorkflowRun.objects.get(subject_type="exceptions.case")
    assert run.variables["routeTo"] == "procurement" and run.variables["rule"] == "territory"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_detectors_at_once_open_each_case_once(client_a, asset):
    for n in range(6):
        use(asset, who=f"user{n}@acme.example", country="FR")
    results = at_once(compliance.detect, 4)
    assert sum(r.get("events", 0) for r in results) == 6  # the cursor lock: each event judged by one detector
    assert cases(client_a).count() == 2  # over the limit, and in France
    assert WorkflowRun.objects.filter(subject_type="exceptions.case").count() == 2


# -- the whole flow over HTTP: OpenText runs compliance_review, Smint.io hears the corrective action -------------
@pytest.fixture
def synced(platforms, client_a):
    from apps.integrations.smintio.sync import pull

    platforms.opentext_tenant()
    pull(platforms.smintio_tenant(client_a, count=20), full=True)
    asset = Asset.objects.filter(client=client_a, rights_state="valid").order_by("pk").first()
    return asset


@pytest.mark.django_db(transaction=True)
def test_a_withdrawn_usage_reaches_smintio_once_and_an_escalation_tells_the_contacts(synced, client_a):
    from tests.reviews.test_flow import settle, statuses_at_smintio

    ComplianceRule.objects.get_or_create(client=client_a, kind=RuleKind.BURST)
    ComplianceRule.objects.filter(client=client_a, kind=RuleKind.BURST).update(burst_downloads=3, burst_minutes=10)
    for n in range(3):
        use(synced, who="bulk@agency.example", ago=timedelta(minutes=30 - n), country="", channel="")
    compliance.detect(client=client_a)
    settle()
    case = cases(client_a, RuleKind.BURST).get(key__startswith="burst:bulk@agency.example:")
    legal = member(client_a, RoleCode.LEGAL, email="legal@acme.example")
    task = Task.objects.get(run__subject_id=case.pk, run__subject_type="exceptions.case", status=TaskStatus.OPEN)
    assert task.candidate_roles == ["legal"]
    with pytest.raises(services.CaseRefused):
        decide(task, actor=legal, outcome="usage_withdrawn")
    decide(task, actor=legal, outcome="usage_withdrawn", reason="Agency asked to delete the copies")
    settle()
    case.refresh_from_db()
    assert (case.state, case.disposition) == (CaseState.CLOSED, Disposition.USAGE_WITHDRAWN)
    assert statuses_at_smintio(synced) == ["restricted"]
    settle()
    assert statuses_at_smintio(synced) == ["restricted"]  # once

    client_a.escalation_contacts = ["legal@acme.example"]
    client_a.save()
    for n in range(3):
        use(synced, who="other@agency.example", ago=timedelta(minutes=8 - n), country="", channel="")
    compliance.detect(client=client_a)
    settle()
    second = cases(client_a, RuleKind.BURST).get(key__startswith="burst:other@agency.example:")
    task = Task.objects.get(run__subject_id=second.pk, run__subject_type="exceptions.case", status=TaskStatus.OPEN)
    decide(task, actor=legal, outcome="escalated", reason="Looks like resale")
    settle()
    second.refresh_from_db()
    assert second.disposition == Disposition.ESCALATED
    assert Notice.objects.filter(user=legal, text__contains="Escalated by the compliance review").exists()


# -- the rules page -------------------------------------------------------------------------------------------------
def _rules_form(client, **changes):
    rules = compliance.ensure_rules(client)
    data = {"form-TOTAL_FORMS": str(len(rules)), "form-INITIAL_FORMS": str(len(rules))}
    for n, rule in enumerate(sorted(rules, key=lambda r: r.kind)):
        values = {
            "id": rule.pk,
            "enabled": "on" if rule.enabled else "",
            "threshold_percent": rule.threshold_percent,
            "burst_downloads": rule.burst_downloads,
            "burst_minutes": rule.burst_minutes,
            "route_to": rule.route_to,
        }
        values.update(changes.get(rule.kind, {}))
        data.update({f"form-{n}-{key}": value for key, value in values.items() if value != ""})
    return data


def test_agency_admins_edit_the_rules_and_each_change_is_audited(client_a, agency_admin, login):
    from apps.audit.models import AuditEvent

    http = login(agency_admin)
    page = http.get(f"/clients/{client_a.slug}/compliance-rules/")
    assert page.status_code == 200 and "Burst of downloads by one person" in page.content.decode()
    saved = http.post(
        f"/clients/{client_a.slug}/compliance-rules/",
        _rules_form(client_a, burst={"burst_downloads": 25, "route_to": "content_manager"}, territory={"enabled": ""}),
    )
    assert saved.status_code == 302
    burst = ComplianceRule.objects.get(client=client_a, kind=RuleKind.BURST)
    assert (burst.burst_downloads, burst.route_to) == (25, "content_manager")
    assert not ComplianceRule.objects.get(client=client_a, kind=RuleKind.TERRITORY).enabled
    events = AuditEvent.objects.filter(action="exceptions.rule.update")
    assert events.count() == 2
    assert events.get(object_id=str(burst.pk)).before == {"burst_downloads": 10, "route_to": "legal"}


def test_a_bad_value_is_refused_and_kept_and_other_roles_may_only_read(client_a, agency_admin, legal, login):
    http = login(agency_admin)
    refused = http.post(
        f"/clients/{client_a.slug}/compliance-rules/", _rules_form(client_a, burst={"burst_downloads": 1})
    )
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "At least 2 downloads make a burst." in body and 'value="1"' in body
    assert ComplianceRule.objects.get(client=client_a, kind=RuleKind.BURST).burst_downloads == 10
    reader = login(legal)
    assert reader.get(f"/clients/{client_a.slug}/compliance-rules/").status_code == 200
    assert reader.post(f"/clients/{client_a.slug}/compliance-rules/", _rules_form(client_a)).status_code == 403


def test_events_posted_by_an_integrator_are_judged_by_a_worker_soon(
    client_a, asset, legal, api_token, api, django_capture_on_commit_callbacks
):
    from django.core.cache import cache
    from django_q.models import OrmQ
    from django_q.signing import SignedPackage

    from apps.exceptions import tasks

    cache.clear()
    http = api(api_token(legal, "write"))
    body = [
        {
            "id": f"int-{n}",
            "asset": asset.pk,
            "event": "download",
            "occurred_at": timezone.now().isoformat(),
            "user_email": "reseller@agency.example",
            "country": "FR",
        }
        for n in range(2)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        assert http.post("/api/v1/usage-events/", body, content_type="application/json").status_code == 201
    queued = [SignedPackage.loads(row.payload) for row in OrmQ.objects.all()]
    jobs = [job for job in queued if job["func"] == "apps.exceptions.tasks.detect_compliance_for"]
    assert [job["args"] for job in jobs] == [(client_a.pk,)]
    tasks.detect_compliance_for(client_a.pk)  # what the worker runs
    assert cases(client_a, RuleKind.TERRITORY).get().evidence["event_count"] == 2


# -- issue 12 item 7: usage compliance is the compliance role's work when the client has one ---------------------
def test_a_legal_routed_case_goes_to_compliance_when_the_client_has_a_compliance_member(client_a, asset):
    from apps.common.roles import RoleCode
    from apps.exceptions.models import ComplianceRule as Rule
    from tests.factories import member

    rule, _ = Rule.objects.get_or_create(client=client_a, kind=RuleKind.TERRITORY)
    assert compliance.route_for(client_a, rule) == "legal"  # nobody holds the role: legal, as the rule says
    member(client_a, RoleCode.EXTERNAL, RoleCode.COMPLIANCE, email="ext@acme.example")
    assert compliance.route_for(client_a, rule) == "legal"  # an external member does not count
    member(client_a, RoleCode.COMPLIANCE, email="compliance@acme.example")
    use(asset, country="FR")
    compliance.detect()
    run = WorkflowRun.objects.get(subject_type="exceptions.case")
    assert run.variables["routeTo"] == "compliance"
    Rule.objects.filter(pk=rule.pk).update(route_to="procurement")
    rule.refresh_from_db()
    assert compliance.route_for(client_a, rule) == "procurement"  # a team the admin chose stays chosen


def test_the_cases_list_says_who_acts_next(client_a, legal, login):
    from apps.workflows.models import Task
    from tests.reviews.factories import licensed_asset
    from tests.sharing.conftest import renewal_case

    _, run = renewal_case(licensed_asset(client_a, name="Alpine hero"), "Renew Alpine hero")
    _, held_run = renewal_case(licensed_asset(client_a, name="Beach banner"), "Renew Beach banner")
    Task.objects.create(client=client_a, run=run, remote_id="t-open", name="Decide", candidate_roles=["procurement"])
    Task.objects.create(
        client=client_a,
        run=held_run,
        remote_id="t-held",
        name="Decide",
        candidate_roles=["procurement"],
        assignee=legal,
    )
    page = login(legal).get("/cases/").content.decode()
    rows = {
        title: page.split(title, 1)[1].split("</tr>", 1)[0] for title in ("Renew Alpine hero", "Renew Beach banner")
    }
    assert "Who acts next" in page
    assert "Procurement" in rows["Renew Alpine hero"]
    assert legal.get_full_name() in rows["Renew Beach banner"]
