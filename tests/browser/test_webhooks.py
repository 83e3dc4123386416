"""An agency admin sets up a webhook in the browser, by keyboard: a refused URL is explained next to the field, the
secret is shown once, a test event reaches a local receiver that verifies its signature, and the log shows it."""

import pytest
from playwright.sync_api import expect

from apps.outbox import services as outbox
from apps.webhooks.models import WebhookEndpoint
from tests.webhooks.conftest import Receiver

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    settings.WEBHOOK_ALLOWED_CIDRS = ["127.0.0.0/8"]  # the operator allows the local receiver, nothing else internal
    receiver = Receiver()
    receiver.thread.start()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


def test_create_an_endpoint_see_the_secret_once_and_send_a_test_event(page, sign_in, receiver, agency_admin):
    sign_in(agency_admin, "/webhooks/")
    page.get_by_role("link", name="New endpoint").click()

    # A private address: refused in place (the form is swapped, the page is not reloaded), said next to the field.
    page.get_by_label("URL").fill("http://10.0.0.5/hook")
    page.get_by_label("Description").fill("Acme DAM")
    page.get_by_label("asset.approved", exact=False).check()
    page.get_by_label("URL").focus()
    page.keyboard.press("Enter")  # submits the form from the keyboard
    expect(page.locator("#id_url_error")).to_contain_text("internal address")
    assert page.url.endswith("/webhooks/new/")
    assert not WebhookEndpoint.objects.exists()
    assert all("status of 400" in e for e in page.watch.console_errors)  # the refusal's answer, just asserted
    page.watch.console_errors.clear()

    page.get_by_label("URL").fill(receiver.url)
    page.get_by_role("button", name="Create endpoint").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Endpoint created")).to_be_visible()
    secret = page.get_by_label(f"Secret of {receiver.url}").input_value()
    assert secret.startswith("whsec_")
    receiver.secrets.append(secret)

    page.get_by_role("link", name="Go to the endpoint").click()
    expect(page.get_by_role("heading", name="Acme DAM")).to_be_visible()
    assert secret not in page.content()  # shown once
    page.get_by_role("button", name="Send test event").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#log")).to_contain_text("webhook.test")

    outbox.drain(max_seconds=10)  # the worker's job
    receiver.wait_for(1)
    assert len(receiver.requests) == 1 and receiver.valid(receiver.requests[0])
    assert receiver.requests[0]["body"]["type"] == "webhook.test"

    page.get_by_role("link", name="Refresh the log").focus()
    page.keyboard.press("Enter")
    row = page.locator("#log tr.delivery").first
    expect(row).to_contain_text("Delivered")
    expect(row).to_contain_text("200")
    page.watch.assert_clean()
