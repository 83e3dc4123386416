"""External agencies as members: an exception case shared with an external member (``apps.sharing``) opens, for
them, on the correction page only; a revoked share, an unshared case or a closed one is a 404; the form is refused
while the case is not waiting for the agency; internal members keep the full case page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client as Browser
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.common.roles import RoleCode
from apps.sharing import services as sharing
from apps.sharing.models import Share
from apps.workflows.services import decide
from tests.exceptions.test_exception_flow import library, metadata_case, open_task, people  # noqa: F401
from tests.factories import member
from tests.platform_fixtures import settle

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_shared_case_opens_on_the_correction_page_only_while_shared(library, people):  # noqa: F811
    case = metadata_case(library)
    agency = member(library, RoleCode.EXTERNAL, email="studio@pixel.example")
    browser = Browser()
    browser.force_login(agency)
    assert browser.get(f"/cases/{case.pk}/").status_code == 404  # not shared yet
    share = sharing.share(case, user=agency, actor=people["ops"], until=timezone.localdate() + timedelta(days=3))
    opened = browser.get(f"/cases/{case.pk}/")
    assert opened.status_code == 302 and opened["Location"] == f"/cases/{case.pk}/correct/"
    page = browser.get(f"/cases/{case.pk}/correct/")
    html = page.content.decode()
    assert page.status_code == 200 and "Nothing to correct right now" in html  # triage has not sent it yet
    assert "decision-form" not in html and f"/assets/{case.asset_id}/" not in html and "agency-links" not in html
    refused = browser.post(f"/cases/{case.pk}/correct/", {"keywords": "harbour", "note": "done"})
    assert refused.status_code == 400 and "not waiting for you" in refused.content.decode()
    assert not AuditEvent.objects.filter(action="exceptions.external.submit").exists()
    assert AuditEvent.objects.filter(action="exceptions.external.view", actor=agency).count() == 1

    internal = Browser()
    internal.force_login(people["ops"])
    assert internal.get(f"/cases/{case.pk}/").status_code == 200  # the full case page, as before
    assert internal.get(f"/cases/{case.pk}/correct/").status_code == 404  # not an external member

    sharing.unshare(Share.objects.get(pk=share.pk), actor=people["ops"])
    assert browser.get(f"/cases/{case.pk}/correct/").status_code == 404
    assert browser.get(f"/cases/{case.pk}/").status_code == 404


def test_the_member_correction_is_verified_like_the_link_and_can_leave_the_rule_firing(library, people):  # noqa: F811
    library.required_metadata_fields = ["keywords", "description"]
    library.save()
    case = metadata_case(library)
    from apps.assets.models import Asset

    Asset.objects.filter(pk=case.asset_id).update(description="")
    agency = member(library, RoleCode.EXTERNAL, email="studio@pixel.example")
    sharing.share(case, user=agency, actor=people["ops"], until=timezone.localdate() + timedelta(days=3))
    decide(open_task(case), actor=people["ops"], outcome="agency")
    settle()
    browser = Browser()
    browser.force_login(agency)
    done = browser.post(f"/cases/{case.pk}/correct/", {"keywords": "harbour"})
    assert done.status_code == 200 and "still finds a problem" in done.content.decode()
    settle()
    case.refresh_from_db()
    assert case.is_open and case.evidence["verification"]["result"] == "still_firing"
    assert open_task(case, "agency_fix")  # back to the agency, as with a link
