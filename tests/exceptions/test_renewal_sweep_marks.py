"""The renewal sweep reads only what may have changed (issue 17, aim 4): a licence's limits are judged when a pull
wrote the licence (``LicensePurchase.limits_pending``), all of a client's limits when its usage threshold changed,
and lapsing assets that already have their case are left out in SQL. The semantics stay those of
``test_renewal.py``: one case per asset and cause, ever."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from apps.assets.choices import ApprovalState, LicenseState, RightsState
from apps.assets.models import Asset, LicensePurchase, LicenseTerm
from apps.assets.services import change_approval, refresh_rights
from apps.emulators.smintio.models import LicensePurchaseTransaction
from apps.emulators.smintio.services import set_usage_counters
from apps.exceptions import services
from apps.exceptions.choices import CaseState, Disposition, Trigger
from apps.exceptions.models import Case, LimitsSweep
from apps.integrations.smintio.sync import pull

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def library(platforms, client_a):
    """The emulator's demo library synced (the connection kept for later pulls), every asset approved, and swept
    once: every cause that warrants a case has one."""
    platforms.opentext_tenant()
    smintio = platforms.smintio_tenant(client_a, count=30)
    pull(smintio, full=True)
    Asset.objects.filter(client=client_a).update(approval_state=ApprovalState.APPROVED)
    first = services.sweep_rights()
    assert first["full"] == 1 and first["checked"] == LicensePurchase.objects.filter(client=client_a).count()
    return client_a, smintio


def _pull(smintio) -> None:
    """An incremental pull from where the last one stopped."""
    smintio.refresh_from_db()
    pull(smintio)


def _below_threshold(client) -> LicensePurchase:
    """A completed licence with a download limit, below the client's threshold, of an asset not lapsing soon."""
    window = timezone.now() + timedelta(days=client.rights_warning_days + 1)
    for lpt in LicensePurchase.objects.filter(
        client=client, state=LicenseState.COMPLETED, max_downloads__gt=0, asset__rights_state=RightsState.VALID
    ).exclude(asset__rights_until__lte=window):
        if lpt.current_downloads * 100 < lpt.max_downloads * client.usage_threshold_percent:
            return lpt
    pytest.skip("the demo library has no licence below its limit")


def test_the_steady_state_reads_no_licence_and_opens_nothing(library):
    client, _ = library
    again = services.sweep_rights()
    assert (again["checked"], again["full"], again["opened"], again["lapsing"], again["limits"]) == (0, 0, 0, 0, 0)
    assert not LicensePurchase.objects.filter(client=client, limits_pending=True).exists()
    assert LimitsSweep.objects.get(client=client).threshold_percent == client.usage_threshold_percent


def test_a_licence_whose_counters_changed_at_smintio_is_judged_on_the_next_sweep_and_only_it(library):
    client, smintio = library
    lpt = _below_threshold(client)
    remote = LicensePurchaseTransaction.objects.get(uuid=lpt.uuid)
    set_usage_counters(remote, {"current_downloads": lpt.max_downloads})  # the limit reached, version + 1
    _pull(smintio)
    assert list(LicensePurchase.objects.filter(client=client, limits_pending=True).values_list("pk", flat=True)) == [
        lpt.pk
    ]
    swept = services.sweep_rights()
    assert (swept["checked"], swept["full"], swept["limits"], swept["opened"]) == (1, 0, 1, 1)
    case = Case.objects.get(client=client, key=f"downloads:{lpt.uuid}")
    assert case.summary == f"{lpt.max_downloads} of {lpt.max_downloads} licensed downloads used (100%)."
    assert not LicensePurchase.objects.filter(pk=lpt.pk, limits_pending=True).exists()
    assert services.sweep_rights()["checked"] == 0


def test_a_changed_licence_still_below_its_limit_is_judged_once_and_opens_nothing(library):
    client, smintio = library
    lpt = _below_threshold(client)
    set_usage_counters(LicensePurchaseTransaction.objects.get(uuid=lpt.uuid), {"current_users": 1})
    _pull(smintio)
    swept = services.sweep_rights()
    assert (swept["checked"], swept["opened"]) == (1, 0)
    assert not Case.objects.filter(key__endswith=lpt.uuid).exists()
    assert services.sweep_rights()["checked"] == 0


def test_a_lower_threshold_judges_every_limit_of_the_client_again(library):
    client, _ = library
    lpt = _below_threshold(client)
    # counters written without a pull (nothing marks the licence): only the threshold's change makes it judged
    LicensePurchase.objects.filter(pk=lpt.pk).update(max_downloads=10, current_downloads=6)
    assert services.sweep_rights()["opened"] == 0
    client.usage_threshold_percent = 60
    client.save()
    swept = services.sweep_rights()
    assert swept["full"] == 1 and swept["opened"] >= 1
    case = Case.objects.get(client=client, key=f"downloads:{lpt.uuid}")
    assert case.summary == "6 of 10 licensed downloads used (60%)." and case.evidence["threshold_percent"] == 60
    assert LimitsSweep.objects.get(client=client).threshold_percent == 60
    assert services.sweep_rights()["full"] == 0


def test_a_closed_limit_case_is_not_opened_again_for_the_same_licence(library):
    """One case per asset and cause, ever (``case_one_per_cause``): a licence written again while still over its
    limit is judged, and its closed case stands."""
    client, smintio = library
    lpt = _below_threshold(client)
    remote = LicensePurchaseTransaction.objects.get(uuid=lpt.uuid)
    set_usage_counters(remote, {"current_downloads": lpt.max_downloads})
    _pull(smintio)
    services.sweep_rights()
    case = Case.objects.get(client=client, key=f"downloads:{lpt.uuid}")
    Case.objects.filter(pk=case.pk).update(state=CaseState.CLOSED, disposition=Disposition.RENEWED)
    set_usage_counters(remote, {"current_downloads": lpt.max_downloads + 1})
    _pull(smintio)
    swept = services.sweep_rights()
    assert (swept["checked"], swept["opened"]) == (1, 0)
    assert list(Case.objects.filter(key=f"downloads:{lpt.uuid}").values_list("pk", "state")) == [
        (case.pk, CaseState.CLOSED)
    ]


def test_a_closed_lapse_case_gives_way_to_a_new_one_when_the_rights_lapse_on_another_day(library):
    """The lapse's day is the cause: rights renewed to a later day that also falls in the window open a new case;
    the same day does not."""
    client, _ = library
    case = Case.objects.filter(client=client, trigger=Trigger.LAPSE).order_by("lapse_at").first()
    assert case is not None, "the demo library has assets lapsing within the warning window"
    Case.objects.filter(pk=case.pk).update(state=CaseState.CLOSED, disposition=Disposition.RENEWED)
    assert services.sweep_rights()["opened"] == 0  # same day: the closed case stands
    later = case.asset.rights_until + timedelta(days=3)
    assert later < timezone.now() + timedelta(days=client.rights_warning_days)
    LicenseTerm.objects.filter(license_purchase__asset=case.asset).update(valid_until=later, to_be_used_until=None)
    refresh_rights([case.asset_id])
    assert Asset.objects.get(pk=case.asset_id).rights_until == later
    swept = services.sweep_rights()
    assert (swept["lapsing"], swept["opened"]) == (1, 1)
    day = timezone.localtime(later).date()
    new = Case.objects.get(client=client, asset=case.asset_id, key=f"lapse:{day.isoformat()}")
    assert new.state == CaseState.OPEN and new.lapse_at == later


def test_a_withdrawn_assets_licence_is_judged_again_when_the_asset_returns_to_circulation(library):
    client, smintio = library
    lpt = _below_threshold(client)
    asset = Asset.objects.get(pk=lpt.asset_id)
    change_approval(asset, ApprovalState.WITHDRAWN, action="tests.asset.withdraw")
    set_usage_counters(LicensePurchaseTransaction.objects.get(uuid=lpt.uuid), {"current_downloads": lpt.max_downloads})
    _pull(smintio)
    assert services.sweep_rights()["opened"] == 0  # out of circulation: no case
    assert services.sweep_rights()["checked"] == 0
    change_approval(asset, ApprovalState.PENDING, action="tests.asset.review_again")
    swept = services.sweep_rights()
    assert (swept["checked"], swept["opened"]) == (asset.license_purchases.count(), 1)  # the asset's licences
    assert Case.objects.filter(client=client, key=f"downloads:{lpt.uuid}").exists()


def test_a_licence_written_again_while_the_sweep_judged_it_stays_pending(library):
    """The sweep clears the mark of the version it read: a pull committing a newer version meanwhile (simulated
    just before the sweep's clearing statement) leaves the licence for the next sweep."""
    client, _ = library
    lpt = _below_threshold(client)
    lpt.save()  # written through the model: pending
    state = {"done": False}

    def pull_meanwhile(execute, sql, params, many, context):
        if not state["done"] and sql.startswith('UPDATE "assets_licensepurchase" SET "limits_pending"'):
            state["done"] = True
            LicensePurchase.objects.filter(pk=lpt.pk).update(
                version=lpt.version + 1, current_downloads=lpt.max_downloads, limits_pending=True
            )
        return execute(sql, params, many, context)

    with connection.execute_wrapper(pull_meanwhile):
        first = services.sweep_rights()
    assert state["done"] and (first["checked"], first["opened"]) == (1, 0)
    assert LicensePurchase.objects.get(pk=lpt.pk).limits_pending
    second = services.sweep_rights()
    assert (second["checked"], second["opened"]) == (1, 1)
    assert Case.objects.filter(client=client, key=f"downloads:{lpt.uuid}").exists()
    assert not LicensePurchase.objects.get(pk=lpt.pk).limits_pending


def test_the_steady_state_reads_a_fixed_number_of_statements_whatever_the_cases(library, django_assert_max_num_queries):
    """Per client: the lapsed rights, the lapsing assets without a case, the pending licences (and the client list
    and the sweep marks once): no statement per case."""
    with django_assert_max_num_queries(5):
        services.sweep_rights()
