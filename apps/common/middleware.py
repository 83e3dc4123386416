"""Cross-cutting request plumbing that belongs to no single app."""

from __future__ import annotations

from django.contrib.messages import get_messages
from django.template.loader import render_to_string


class HtmxMessagesMiddleware:
    """Show Django messages as toasts after an htmx swap.

    A full page renders its messages in the base template; an htmx fragment has no base template, so pending
    messages are appended as an out-of-band swap into the toast region. Redirects keep their messages for the
    page they lead to.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not getattr(request, "htmx", False) or getattr(response, "streaming", False):
            return response
        if 300 <= response.status_code < 400 or "HX-Redirect" in response or "HX-Location" in response:
            return response
        if not response.get("Content-Type", "").startswith("text/html"):
            return response
        storage = get_messages(request)
        if not storage:
            return response
        response.write(render_to_string("components/toasts.html", {"messages": storage, "oob": True}, request))
        return response
