"""The analytics page, its CSV and the API: who may read them, that they show the same figures, and that the page
costs a fixed number of queries however many tasks there are."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.analytics import figures
from apps.common.roles import RoleCode
from tests.factories import member

from .factories import history, run, task

PERIOD = {"since": "2026-11-02", "until": "2026-11-29"}


@pytest.fixture
def crafted(client_a, client_b):
    person_a = member(client_a, RoleCode.BRAND, email="a@acme.example")
    person_b = member(client_a, RoleCode.CONTENT_MANAGER, email="b@acme.example")
    history(client_a, client_b, person_a=person_a, person_b=person_b)
    return client_a


@pytest.fixture
def content_manager(client_a):
    return member(client_a, RoleCode.CONTENT_MANAGER, email="cm@acme.example")


def _csv(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_agency_admin_sees_where_reviews_wait(crafted, agency_admin, login):
    response = login(agency_admin).get("/analytics/", PERIOD)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Where reviews wait: Acme Outdoor" in html
    assert 'data-chart="stages"' in html and 'id="analytics-charts"' in html
    assert "<caption>Stages: waiting for a claim and time to decide</caption>" in html
    assert "Legal review / Resolve the rights or policy issue" in html
    assert 'href="/analytics/"' in html and "aria-current" in html  # the nav link


def test_the_charts_data_is_json_not_script(crafted, agency_admin, login):
    html = login(agency_admin).get("/analytics/", PERIOD).content.decode()
    assert '<script id="analytics-charts" type="application/json">' in html
    assert "vendor/chartjs/chart.umd.min.js" in html and "js/analytics.js" in html


@pytest.mark.parametrize("persona", ["requester", "legal", "regional_reviewer", "external"])
def test_people_who_do_not_run_reviews_may_not(persona, request, login, crafted):
    user = request.getfixturevalue(persona)
    assert login(user).get("/analytics/").status_code == 403
    assert login(user).get("/api/v1/analytics/").status_code == 403


def test_content_manager_and_operators_may(crafted, content_manager, requester, login):
    assert login(content_manager).get("/analytics/").status_code == 200
    requester.is_staff = True
    requester.save(update_fields=["is_staff"])
    assert login(requester).get("/analytics/").status_code == 200


def test_another_clients_analytics_are_not_found(crafted, outsider, agency_admin, login):
    assert login(outsider).get("/analytics/", {"client": "acme"}).status_code == 404
    assert login(outsider).get("/analytics/export.csv", {"client": "acme", "figure": "stages"}).status_code == 404
    assert login(agency_admin).get("/analytics/", {"client": "beta"}).status_code == 404
    # their own client's page counts only their client's tasks
    response = login(outsider).get("/analytics/", PERIOD)
    assert "Where reviews wait: Beta Brands" in response.content.decode()


def test_anonymous_is_sent_to_sign_in(client):
    assert client.get("/analytics/").status_code == 302
    assert client.get("/api/v1/analytics/").status_code in (401, 403)


def test_an_empty_period_says_so(client_a, agency_admin, login):
    html = login(agency_admin).get("/analytics/").content.decode()
    assert "No tasks completed in this period and none open" in html
    assert "analytics-charts" not in html


def test_invalid_filters_are_reported(crafted, agency_admin, login):
    response = login(agency_admin).get("/analytics/", {"since": "2026-11-10", "until": "2026-11-01"})
    assert "The period ends before it starts." in response.content.decode()
    assert login(agency_admin).get("/analytics/export.csv", {"figure": "nope"}).status_code == 404


@pytest.mark.parametrize("name", ["summary", "stages", "throughput", "backlog", "people", "roles"])
def test_csv_has_the_figures_of_the_table(crafted, agency_admin, login, name):
    response = login(agency_admin).get("/analytics/export.csv", {**PERIOD, "figure": name})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = _csv(response)
    api = login(agency_admin).get("/api/v1/analytics/", PERIOD).json()
    expected = [api[name]] if name == "summary" else api[name]
    assert len(rows) == len(expected)
    for row, figure in zip(rows, expected, strict=True):
        for column, value in row.items():
            if column == "oldest_age":  # an age as of "now": the two requests are a moment apart
                assert float(value) == pytest.approx(figure[column], abs=60)
                continue
            assert value == ("" if figure[column] is None else str(figure[column])), column


def test_api_gives_the_figures_of_the_page(crafted, agency_admin, api, api_token):
    response = api(api_token(agency_admin)).get("/api/v1/analytics/", {**PERIOD, "flow": "asset_approval"})
    assert response.status_code == 200
    body = response.json()
    assert (body["client"], body["since"], body["until"]) == ("acme", "2026-11-02", "2026-11-29")
    assert body["summary"]["completed"] == 4
    assert [s["stage"] for s in body["stages"]] == ["brand_review", "legal_review"]
    assert body["stages"][1]["wait_p90"] == 2.8 * 3600
    assert [w["completed"] for w in body["throughput"]] == [2, 1, 1, 0]
    assert body["roles"] == [
        {"role": "legal", "role_label": "Legal", "unclaimed": 2},
        {"role": "brand", "role_label": "Brand", "unclaimed": 1},
    ]


def test_api_rejects_invalid_filters(crafted, agency_admin, api, api_token):
    response = api(api_token(agency_admin)).get("/api/v1/analytics/", {"since": "soon"})
    assert response.status_code == 400
    assert "since" in str(response.json()["errors"])


def test_a_token_bound_to_another_client_reads_nothing_of_this_one(crafted, client_b, agency_admin, api, api_token):
    member_b = member(client_b, RoleCode.AGENCY_ADMIN, email="admin2@beta.example")
    key = api_token(member_b, client=client_b)
    assert api(key).get("/api/v1/analytics/", {"client": "acme"}).status_code == 404


def test_the_page_costs_the_same_queries_however_many_tasks(
    crafted, agency_admin, login, django_assert_max_num_queries
):
    http = login(agency_admin)
    http.get("/analytics/", PERIOD)  # warm the session
    with django_assert_max_num_queries(20) as first:
        http.get("/analytics/", PERIOD)
    more = run(crafted)
    now = timezone.now()
    for n in range(30):
        task(more, f"stage_{n % 7}", available=now - timedelta(days=n), completed=now - timedelta(hours=n))
        task(more, "legal_review", available=now - timedelta(days=n, hours=3))
    with django_assert_max_num_queries(len(first.captured_queries)):
        http.get("/analytics/", PERIOD)


def test_figures_module_lists_every_csv_figure():
    from apps.analytics.views import CSV_COLUMNS

    assert set(CSV_COLUMNS) == {"summary", *figures.FIGURES}


def test_the_page_says_how_old_the_completed_figures_may_be(crafted, agency_admin, login, settings):
    settings.ANALYTICS_CACHE_SECONDS = 300
    html = login(agency_admin).get("/analytics/", PERIOD).content.decode()
    assert "Figures of completed tasks may be up to 5 minutes old" in html
