"""The request pages: the form's messages at their fields, drafts and submits, "My requests", the request page's
tenancy (another client's request is a 404) and its role-bound actions refused with the message shown."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.assets.models import Asset
from apps.common.roles import RoleCode
from apps.creative import services
from apps.creative.choices import RequestStatus
from apps.creative.models import CreativeRequest, Delivery, DeliveryItem
from tests.factories import member

from .conftest import intake

pytestmark = pytest.mark.django_db


def _form(**changes) -> dict:
    today = timezone.localdate()
    data = {
        "title": "Autumn trail campaign",
        "brief": "Hikers in autumn forests",
        "countries": ["DE", "FR"],
        "usages": ["usage_web"],
        "deadline": (today + timedelta(days=10)).isoformat(),
        "run_from": (today + timedelta(days=14)).isoformat(),
        "run_until": (today + timedelta(days=40)).isoformat(),
        "action": "draft",
    }
    data.update(changes)
    return data


def test_the_navigation_offers_new_request_to_requesters_only(client, client_a):
    requester = member(client_a, RoleCode.REQUESTER)
    client.force_login(requester)
    page = client.get(reverse("creative:request_list")).content.decode()
    assert 'href="/requests/new/"' in page and "Requests <small>coming" not in page
    client.force_login(member(client_a, RoleCode.REVIEWER))
    page = client.get(reverse("creative:request_list")).content.decode()
    assert 'href="/requests/new/"' not in page and 'href="/requests/"' in page


def test_form_errors_are_shown_at_their_fields_with_focus_on_the_first(client, client_a):
    client.force_login(member(client_a, RoleCode.REQUESTER))
    today = timezone.localdate()
    response = client.post(
        reverse("creative:request_new"),
        _form(
            deadline=(today - timedelta(days=1)).isoformat(),
            run_from=(today + timedelta(days=30)).isoformat(),
            run_until=(today + timedelta(days=20)).isoformat(),
        ),
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_deadline_error">The deadline must be in the future.' in page
    assert 'id="id_run_until_error">The campaign must end on or after the day it starts.' in page
    assert 'name="deadline"' in page and "autofocus" in page.split('name="deadline"')[1].split(">")[0]
    assert not CreativeRequest.objects.exists()


def test_regions_outside_the_requesters_membership_are_refused_at_the_field(client, client_a):
    from tests.factories import RegionFactory

    emea, amer = RegionFactory(code="emea", name="EMEA"), RegionFactory(code="amer", name="AMER")
    requester = member(client_a, RoleCode.REQUESTER, regions=[emea])
    client.force_login(requester)
    page = client.get(reverse("creative:request_new")).content.decode()
    assert 'value="emea"' in page and 'value="amer"' not in page  # only their regions are offered
    response = client.post(reverse("creative:request_new"), _form(regions=["amer"]))
    assert response.status_code == 400
    assert "You may only ask for your own regions; not AMER." in response.content.decode()
    assert amer.code == "amer"


def test_a_draft_is_saved_then_edited_and_shown_in_my_requests(client, client_a):
    requester = member(client_a, RoleCode.REQUESTER)
    client.force_login(requester)
    response = client.post(reverse("creative:request_new"), _form())
    draft = CreativeRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == draft.get_absolute_url()
    assert draft.status == RequestStatus.DRAFT and draft.countries == ["DE", "FR"]
    listing = client.get(reverse("creative:request_list")).content.decode()
    assert "Autumn trail campaign" in listing and "Draft" in listing
    edit = client.get(reverse("creative:request_edit", args=[draft.pk])).content.decode()
    assert 'value="Autumn trail campaign"' in edit
    client.post(reverse("creative:request_edit", args=[draft.pk]), _form(title="Autumn trails"))
    draft.refresh_from_db()
    assert draft.title == "Autumn trails" and CreativeRequest.objects.count() == 1


def test_my_requests_says_what_to_do_when_there_are_none(client, client_a):
    client.force_login(member(client_a, RoleCode.REQUESTER))
    page = client.get(reverse("creative:request_list")).content.decode()
    assert "You have no open requests." in page and "Start one with “New request”" in page


def test_another_clients_request_and_its_parts_are_404(client, client_a, client_b):
    theirs = services.save_draft(intake(), client=client_b, requester=member(client_b, RoleCode.REQUESTER))
    theirs.status = RequestStatus.TRIAGE
    theirs.save()
    delivery = Delivery.objects.create(client=client_b, request=theirs)
    client.force_login(member(client_a, RoleCode.REQUESTER, RoleCode.CONTENT_MANAGER, RoleCode.CREATIVE))
    for url in (
        reverse("creative:request_detail", args=[theirs.pk]),
        reverse("creative:request_edit", args=[theirs.pk]),
        reverse("creative:request_matches", args=[theirs.pk]),
        reverse("creative:delivery_manifest", args=[theirs.pk, delivery.pk, "csv"]),
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("creative:shortlist", args=[theirs.pk]), {"asset": "1"}).status_code == 404


def test_a_draft_is_its_requesters_alone(client, client_a):
    draft = services.save_draft(intake(), client=client_a, requester=member(client_a, RoleCode.REQUESTER))
    client.force_login(member(client_a, RoleCode.REQUESTER, email="colleague@acme.example"))
    assert client.get(draft.get_absolute_url()).status_code == 404


def test_a_requester_cannot_shortlist_and_is_told_so_on_the_page(client, client_a, people):
    submitted = services.save_draft(intake(), client=client_a, requester=people["requester"])
    submitted.status = RequestStatus.IN_CREATION
    submitted.save()
    client.force_login(people["requester"])
    asset = Asset.objects.create(client=client_a, content_element_uuid="el-1", name="Alpine hero")
    response = client.post(reverse("creative:shortlist", args=[submitted.pk]), {"asset": asset.pk})
    assert response.status_code in (400, 403)
    page = response.content.decode()
    assert 'id="shortlist-error"' in page and "The creative&#x27;s task is not open yet" in page
    assert not submitted.shortlist.exists()


@pytest.fixture
def delivered(client_a, people):
    request = services.save_draft(intake(), client=client_a, requester=people["requester"])
    request.status = RequestStatus.IN_REVIEW
    request.save()
    asset = Asset.objects.create(client=client_a, content_element_uuid="el-7", name="=Trail at dawn")
    delivery = Delivery.objects.create(client=client_a, request=request, delivered_by=people["creative"])
    DeliveryItem.objects.create(client=client_a, delivery=delivery, asset=asset)
    return request, delivery, asset


def test_the_manifest_lists_each_asset_with_its_licence_in_words_and_its_download(client, delivered, people):
    request, delivery, asset = delivered
    client.force_login(people["requester"])
    csv_text = client.get(reverse("creative:delivery_manifest", args=[request.pk, delivery.pk, "csv"])).content.decode()
    assert "'=Trail at dawn" in csv_text  # never read as a formula
    download = reverse("creative:delivery_download", args=[request.pk, delivery.pk, asset.pk])
    assert f"http://testserver{download}" in csv_text
    body = client.get(reverse("creative:delivery_manifest", args=[request.pk, delivery.pk, "json"])).json()
    assert body["assets"][0]["content_element_uuid"] == "el-7" and body["assets"][0]["licence"]
    assert client.get(reverse("creative:delivery_manifest", args=[request.pk, delivery.pk, "xml"])).status_code == 404


def test_a_download_without_a_file_says_why_on_the_request_page(client, delivered, people):
    request, delivery, asset = delivered
    client.force_login(people["requester"])
    response = client.get(reverse("creative:delivery_download", args=[request.pk, delivery.pk, asset.pk]), follow=True)
    assert response.redirect_chain[-1][0].endswith("#delivery")
    assert "Smint.io has given no file for this asset." in response.content.decode()


def test_the_share_link_opens_the_delivery_without_signing_in_until_it_is_turned_off(client, delivered, people):
    request, delivery, _asset = delivered
    client.force_login(people["requester"])
    client.post(reverse("creative:delivery_share", args=[request.pk, delivery.pk]), {"action": "share"})
    page = client.get(request.get_absolute_url()).content.decode()
    link = page.split(f'id="share-{delivery.pk}" value="')[1].split('"')[0]
    client.logout()
    shared = client.get(link)
    assert shared.status_code == 200 and "=Trail at dawn" in shared.content.decode()
    assert shared["Cache-Control"] == "no-store"
    client.force_login(people["requester"])
    client.post(reverse("creative:delivery_share", args=[request.pk, delivery.pk]), {"action": "revoke"})
    client.logout()
    assert client.get(link).status_code == 404
    assert client.get(link.rstrip("/") + "x/").status_code == 404  # a forged token


def test_sharing_is_refused_with_the_message_for_who_is_neither_requester_nor_creative(client, delivered, people):
    request, delivery, _asset = delivered
    client.force_login(people["ops"])
    response = client.post(reverse("creative:delivery_share", args=[request.pk, delivery.pk]), {"action": "share"})
    assert response.status_code == 403
    assert "Only the requester or a creative may share this delivery." in response.content.decode()
    delivery.refresh_from_db()
    assert not delivery.link_version


def test_only_a_draft_is_edited_and_the_requester_is_told_so(client, delivered, people):
    request, _delivery, _asset = delivered
    client.force_login(people["requester"])
    response = client.get(reverse("creative:request_edit", args=[request.pk]), follow=True)
    assert "Only the requester edits a request, and only while it is a draft." in response.content.decode()
