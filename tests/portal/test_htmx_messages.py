"""Messages reach the person after an htmx swap as an out-of-band toast, and only then."""

import pytest
from django.contrib import messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.http import HttpResponse, HttpResponseRedirect
from django.test import RequestFactory
from django_htmx.middleware import HtmxDetails

from apps.common.middleware import HtmxMessagesMiddleware


def _request(htmx: bool):
    request = RequestFactory().get("/", headers={"HX-Request": "true"} if htmx else {})
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    request.htmx = HtmxDetails(request)
    messages.success(request, "Saved <everything>.")
    return request


@pytest.mark.parametrize(
    ("htmx", "response", "expects_toast"),
    [
        (True, HttpResponse("<div>fragment</div>"), True),
        (False, HttpResponse("<div>page</div>"), False),
        (True, HttpResponseRedirect("/elsewhere/"), False),
        (True, HttpResponse("{}", content_type="application/json"), False),
    ],
)
def test_htmx_fragments_carry_pending_messages_out_of_band(htmx, response, expects_toast):
    request = _request(htmx)
    result = HtmxMessagesMiddleware(lambda r: response)(request)
    body = result.content.decode()
    assert ('hx-swap-oob="beforeend:#toasts"' in body) is expects_toast
    if expects_toast:
        assert "Saved &lt;everything&gt;." in body  # escaped
    # Iterated (so MessageMiddleware drops them) only when shown; otherwise kept for the next full page.
    assert request._messages.used is expects_toast
