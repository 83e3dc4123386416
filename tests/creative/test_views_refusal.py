"""A decision refused on the request page comes back on the request page (``views.request_refusal``, the flow's
``refusal_page``): the server's words at the form that was used, what was typed kept, the focus on the field."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.creative import services
from tests.platform_fixtures import settle

from .conftest import intake

pytestmark = pytest.mark.django_db(transaction=True)


def test_declining_without_a_reason_is_refused_at_the_triage_form(client, library, people):
    request = services.submit(actor=people["requester"], client=library, intake=intake())
    settle()
    task = services.open_task(request, services.TRIAGE)
    client.force_login(people["ops"])
    response = client.post(
        reverse("reviews:task_decide", args=[task.pk]),
        {"outcome": "decline", "reason": "", "version": task.version, "next": request.get_absolute_url()},
    )
    assert response.status_code == 400
    page = response.content.decode()
    form = page.split(f'id="task-{task.pk}-decide"')[1].split("</form>")[0]
    assert 'role="alert"' in form and "reason" in form.lower()
    assert f'id="reason-{task.pk}"' in form and "autofocus" in form.split(f'id="reason-{task.pk}"')[1].split(">")[0]
    assert 'value="decline" required checked' in form  # what was chosen is kept
    request.refresh_from_db()
    assert request.status == "triage"
