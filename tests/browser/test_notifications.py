"""Notifications in the browser: a reviewer reads the mail about a task in the development mailbox, follows its
link to the task page, then marks the notification read from the centre with the keyboard and the top bar's
unread count goes away."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from apps.common import events
from apps.notifications.models import MailboxMessage
from tests.browser.test_accessibility import Findings
from tests.mail_fixtures import deliver_all
from tests.reviews.factories import approval_run, licensed_asset, review_task

pytestmark = pytest.mark.django_db(transaction=True)


def _assigned_to(person, client, settings, live_server) -> str:
    """A task assigned to the person, its notification and its mail delivered; the task page's path."""
    settings.EMAIL_BACKEND = "apps.notifications.mailbox.MailboxBackend"
    settings.PORTAL_URL = live_server.url
    task = review_task(approval_run(licensed_asset(client)), "legal")
    url = reverse("reviews:task_decide", args=[task.pk])
    data = {"url": url, "title": "Alpine hero", "task": task.pk, "task_name": task.name, "task_key": "legal_review"}
    data |= {"roles": ["legal"], "regions": [], "due_at": None, "run": task.run_id, "process_key": "asset_approval"}
    data |= {"subject_type": "assets.asset", "subject_id": 1, "assignee": person.pk, "by": None}
    events.publish("task.assigned", key=f"task.assigned:{task.pk}:1", client=client, data=data)
    assert deliver_all() == {"done": 1}
    assert MailboxMessage.objects.count() == 1
    return url


def test_a_reviewer_follows_the_mail_to_the_task_and_marks_it_read(
    page, sign_in, settings, live_server, client_a, legal
):
    url = _assigned_to(legal, client_a, settings, live_server)

    sign_in(legal, "/mailbox/")
    found = Findings(page)
    found.check("mailbox")
    badge = page.locator("#notification-badge")
    expect(badge).to_contain_text("1 unread")
    page.get_by_role("link", name=re.compile("Assigned to you")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Assigned to you")
    expect(page.get_by_title("The mail's HTML part")).to_have_attribute("sandbox", "")
    found.check("a mail")
    page.get_by_role("link", name=f"{live_server.url}{url}").click()
    expect(page).to_have_url(re.compile(re.escape(url) + "$"))

    page.goto("/notifications/")
    found.check("notification centre")
    mark = page.get_by_role("button", name=re.compile("^Mark read"))
    mark.focus()
    page.keyboard.press("Enter")  # htmx: the list and the top bar's count are swapped in place
    expect(badge).to_have_text("Notifications")
    expect(page.get_by_role("button", name=re.compile("^Mark read"))).to_have_count(0)
    page.get_by_role("link", name="E-mail preferences").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("E-mail preferences")
    found.check("preferences")
    page.get_by_role("radio", name=re.compile("No e-mail")).first.focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Save my choices").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("saved")
    page.watch.assert_clean()  # no CSP violation anywhere (the mail's HTML included); the 400 below is logged
    page.goto(reverse("notifications:unsubscribe", args=["forged:token"]))
    expect(page.get_by_role("heading", level=1)).to_contain_text("not valid")
    found.check("unsubscribe refused")
    found.assert_none()


def test_a_focus_moved_while_mark_read_is_on_its_way_stays_where_the_reviewer_put_it(
    page, sign_in, settings, live_server, client_a, legal
):
    """CI saw it: Enter on "Mark read", then on to "E-mail preferences" before the answer had settled. The swap's
    focus handling moved the focus to the notification's "Open", so the next Enter opened the task instead."""
    _assigned_to(legal, client_a, settings, live_server)
    sign_in(legal, "/notifications/")
    held = []
    page.route("**/notifications/*/read/", lambda route: held.append(route))
    settle = "done => document.addEventListener('htmx:afterSettle', done, {once: true})"
    page.evaluate(f"() => {{ window.settled = new Promise({settle}); }}")
    page.get_by_role("button", name=re.compile("^Mark read")).focus()
    page.keyboard.press("Enter")
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(50)
    preferences = page.get_by_role("link", name="E-mail preferences")
    preferences.focus()
    held[0].continue_()
    assert page.evaluate("() => window.settled.then(() => true)")
    expect(page.locator("#notification-badge")).to_have_text("Notifications")
    expect(preferences).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("E-mail preferences")
    page.watch.assert_clean()
