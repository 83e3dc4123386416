"""A compliance case page says how many events broke the rule as its evidence table lists them (issue 12 item 7: "1
usage event" stood above a table of 35). A burst spans one person's downloads of several assets, so the evidence is
not the asset's usage: each count is said of what it counts, and a capped table says "the first N of M"."""

import re
from datetime import timedelta

import pytest
from django.test.html import parse_html

from apps.exceptions import compliance
from apps.exceptions.choices import CaseKind, RuleKind
from apps.exceptions.models import Case, ComplianceRule
from tests.exceptions.test_compliance import use
from tests.reviews.factories import licensed_asset

pytestmark = pytest.mark.django_db


@pytest.fixture
def burst_case(client_a):
    """bulk@ downloaded six times within ten minutes: twice the case's asset, once each four others; the case's
    asset was also downloaded three times by others days before."""
    ComplianceRule.objects.get_or_create(client=client_a, kind=RuleKind.BURST)
    ComplianceRule.objects.filter(client=client_a, kind=RuleKind.BURST).update(burst_downloads=3, burst_minutes=10)
    hero = licensed_asset(client_a, name="Hero.jpg")
    others = [licensed_asset(client_a, name=f"Other {n}.jpg") for n in range(4)]
    for n in range(3):
        use(hero, who=f"user{n}@acme.example", ago=timedelta(days=n + 3), country="DE", channel="")
    for n, asset in enumerate([hero, hero, *others]):
        use(asset, who="bulk@agency.example", ago=timedelta(minutes=20 - n), country="", channel="")
    compliance.detect(client=client_a)
    case = Case.objects.get(client=client_a, kind=CaseKind.COMPLIANCE, evidence__rule=RuleKind.BURST)
    assert case.asset == hero
    return case


def _section(html: str, title_id: str) -> str:
    return re.search(rf'aria-labelledby="{title_id}">(.*?)</section>', html, re.S).group(1)


def _rows(section: str) -> int:
    return len(re.search(r"<tbody>(.*?)</tbody>", section, re.S).group(1).split("<tr>")) - 1


def test_the_evidence_count_is_the_events_its_table_lists(burst_case, agency_admin, login):
    html = login(agency_admin).get(f"/cases/{burst_case.pk}/").content.decode()
    evidence = _section(html, "evidence-title")
    assert "6 usage events broke the rule, on 5 assets." in evidence
    assert _rows(evidence) == 6
    assert parse_html("<th scope='col'>Asset</th>") in parse_html(evidence)
    assert evidence.count("<td>this asset</td>") == 2
    usage = _section(html, "usage-title")
    assert "5 usage events of this asset on record" in usage  # its own downloads, three earlier and two in the burst
    assert "listed" not in usage  # every one of them is in the table


def test_a_capped_evidence_table_says_the_first_n_of_m(burst_case, agency_admin, login, monkeypatch):
    ids = burst_case.evidence["events"]
    Case.objects.filter(pk=burst_case.pk).update(evidence={**burst_case.evidence, "events": ids[:4]})
    monkeypatch.setattr(compliance, "EVIDENCE_CAP", 4)
    evidence = _section(login(agency_admin).get(f"/cases/{burst_case.pk}/").content.decode(), "evidence-title")
    assert "The first 4 of 6 usage events that broke the rule" in evidence
    assert _rows(evidence) == 4


def test_a_long_usage_history_says_how_many_are_listed(burst_case, agency_admin, login, monkeypatch):
    from apps.exceptions import views

    monkeypatch.setattr(views, "USAGE_SHOWN", 2)
    usage = _section(login(agency_admin).get(f"/cases/{burst_case.pk}/").content.decode(), "usage-title")
    assert "5 usage events of this asset on record from Smint.io and integrators, the latest 2 listed." in usage
