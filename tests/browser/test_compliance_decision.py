"""Legal records the corrective action of a usage-compliance case on its page: a missing reason is refused with the
message and what was chosen kept, then a valid decision closes the case once the worker has told OpenText, and
Smint.io hears it. Both platforms are the emulators over HTTP."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from apps.assets.models import Asset
from apps.exceptions import compliance
from apps.exceptions.choices import CaseState, Disposition, RuleKind
from apps.exceptions.models import Case, ComplianceRule
from apps.integrations.smintio.sync import pull
from apps.workflows.choices import TaskStatus
from apps.workflows.models import Decision, Task
from tests.exceptions.test_compliance import use
from tests.platform_fixtures import settle
from tests.reviews.test_flow import statuses_at_smintio

pytestmark = pytest.mark.django_db(transaction=True)

# Chromium logs a page answered 400 in the console; a refused form is answered 400 by design.
REFUSAL_LOGGED = re.compile(r"status of 400 \(Bad Request\)")
REASON = "The agency deleted the copies and confirmed it in writing"


@pytest.fixture
def burst_case(platforms, client_a):
    """One person downloaded an asset three times within ten minutes: a compliance case routed to legal, its
    compliance_review run started in OpenText and its task mirrored."""
    platforms.opentext_tenant()
    pull(platforms.smintio_tenant(client_a, count=5), full=True)
    asset = Asset.objects.filter(client=client_a, rights_state="valid").order_by("pk").first()
    ComplianceRule.objects.get_or_create(client=client_a, kind=RuleKind.BURST)
    ComplianceRule.objects.filter(client=client_a, kind=RuleKind.BURST).update(burst_downloads=3, burst_minutes=10)
    for n in range(3):
        use(asset, who="bulk@agency.example", ago=timedelta(minutes=30 - n), country="", channel="")
    compliance.detect(client=client_a)
    settle()
    case = Case.objects.get(
        client=client_a, evidence__rule=RuleKind.BURST, key__startswith="burst:bulk@agency.example:"
    )
    task = Task.objects.get(run__subject_type="exceptions.case", run__subject_id=case.pk, status=TaskStatus.OPEN)
    assert task.candidate_roles == ["legal"]
    return case, task


def _refuse_a_withdrawal_without_reason(page, sign_in, legal, case):
    sign_in(legal, "/cases/")
    page.get_by_role("link", name=case.title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(case.title)
    expect(page.locator("#evidence-title + p")).to_contain_text("3 usage events broke the rule")
    form = page.locator("form.decision-form")
    form.get_by_role("radio", name="Usage withdrawn").check()
    form.get_by_role("button", name="Record decision").click()


def test_a_missing_reason_is_refused_with_the_choice_kept_then_the_decision_closes_the_case(
    page, sign_in, burst_case, legal
):
    case, task = burst_case
    _refuse_a_withdrawal_without_reason(page, sign_in, legal, case)

    expect(page.get_by_role("alert")).to_contain_text("Say why: “Usage withdrawn” needs a reason.")
    form = page.locator("form.decision-form")
    expect(form.get_by_role("radio", name="Usage withdrawn")).to_be_checked()  # what was chosen is kept
    reason = form.get_by_label("Reason")
    expect(reason).to_be_focused()  # the keyboard is where the fix goes
    expect(reason).to_have_attribute("aria-invalid", "true")
    assert not Decision.objects.exists()
    assert Task.objects.get(pk=task.pk).status == TaskStatus.OPEN

    page.keyboard.type(REASON)
    page.keyboard.press("Tab")
    expect(form.get_by_role("button", name="Record decision")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/cases/{case.pk}/$"))  # back on the case
    expect(page.locator(".toast")).to_contain_text(f"Usage withdrawn: “{case.title}”. OpenText is being told.")
    head = page.locator(".page-head")
    expect(head.locator(".badge").first).to_have_text("Open")  # until the worker has told OpenText
    expect(page.locator(".timeline")).to_contain_text(REASON)

    settle()
    page.reload()
    expect(head).to_contain_text("Usage withdrawn")
    expect(head).to_contain_text(f"by {legal.email}")
    expect(page.locator("form.decision-form")).to_have_count(0)  # nothing left to decide
    case.refresh_from_db()
    assert (case.state, case.disposition, case.closed_by) == (CaseState.CLOSED, Disposition.USAGE_WITHDRAWN, legal)
    assert statuses_at_smintio(case.asset) == ["restricted"]
    assert [e for e in page.watch.console_errors if not REFUSAL_LOGGED.search(e)] == []
    assert page.watch.foreign_requests == []


def test_a_refused_case_decision_is_shown_on_the_case_page(page, sign_in, burst_case, legal):
    case, _task = burst_case
    _refuse_a_withdrawal_without_reason(page, sign_in, legal, case)
    expect(page.get_by_role("alert")).to_contain_text("needs a reason")
    expect(page.get_by_role("heading", level=1)).to_have_text(case.title, timeout=2_000)
    expect(page.get_by_role("heading", name="Evidence")).to_be_visible()
