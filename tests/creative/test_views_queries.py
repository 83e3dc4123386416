"""Queries per page do not grow with the rows (issue 13, "queries per page constant"): the request page with its
matches as the creative picks, and the inbox holding creative requests' tasks."""

from __future__ import annotations

import pytest

from apps.creative import services
from apps.creative.choices import RequestStatus
from apps.creative.models import CreativeRequest
from tests.queries import page_queries

from . import helpers
from .conftest import intake
from .test_matching import cleared

pytestmark = pytest.mark.django_db


_queries = page_queries  # the second of two requests (tests/queries.py)


def _picking(client, people) -> CreativeRequest:
    request = services.submit(actor=people["requester"], client=client, intake=intake())
    helpers.task(request, "creative_pick")
    CreativeRequest.objects.filter(pk=request.pk).update(status=RequestStatus.IN_CREATION)
    return request


def _licensed(client, n: int) -> None:
    for i in range(n):
        cleared(client, name=f"Trail {i}", keywords=["families"])  # full: one open term
        cleared(client, {"allowed_geographies": ["geography_de"]}, name=f"Path {i}")  # partial: not in FR


def test_the_request_page_reads_the_same_queries_for_4_and_40_matches(client_a, people, login):
    request = _picking(client_a, people)
    browser = login(people["creative"])
    url = f"/requests/{request.pk}/"
    _licensed(client_a, 2)
    few = _queries(browser, url)
    page = browser.get(url).content.decode()
    assert page.count("Trail ") >= 2 and "Not licensed in FR" in page
    _licensed(client_a, 18)
    many = _queries(browser, url)
    assert few == many
    fragment = f"/requests/{request.pk}/matches/?q=trail"
    assert _queries(browser, fragment) <= many


def test_the_inbox_reads_the_same_queries_for_3_and_30_creative_tasks(
    client_a, people, login, django_assert_max_num_queries
):
    browser = login(people["creative"])
    for _ in range(3):
        _picking(client_a, people)
    few = _queries(browser, "/?tab=team")
    assert browser.get("/?tab=team").content.decode().count("Open request") >= 3
    for _ in range(27):
        _picking(client_a, people)
    with django_assert_max_num_queries(few):
        response = browser.get("/?tab=team")
    assert response.content.decode().count("Open request") >= 20  # a page of them
