"""Flow 3 against a running `make run` (the README walkthrough): the requester submits a request for Germany and
web, triage accepts, the creative sees the demo's approved assets that cover it ranked first with their reasons
(partial ones apart), shortlists and delivers; the requester downloads and accepts, and the asset's page lists the
delivery. Run `.venv/bin/python scripts/demo/creative.py` (PORTAL_URL if not http://127.0.0.1:8000) once the
worker has approved the walkthrough's assets (about a minute after the first pull)."""

import re
import sys
import time
from datetime import UTC, datetime, timedelta

from common import ARGS, BASE, sign_in
from playwright.sync_api import expect, sync_playwright

TITLE = f"Walkthrough {time.strftime('%H%M%S')}"


def until(page, url, found, what, seconds=180):
    """Reload ``url`` until ``found(page)`` holds (the worker carries decisions to OpenText and back)."""
    deadline = time.time() + seconds
    while True:
        page.goto(url)
        if found(page):
            return
        if time.time() > deadline:
            sys.exit(f"FAILED: {what} within {seconds} s")
        time.sleep(3)


def open_from_inbox(page, email):
    sign_in(page, email)
    row = page.locator("tr", has_text=TITLE)
    until(page, f"{BASE}/?tab=team", lambda p: row.count() > 0, f"{TITLE!r} in {email}'s inbox")
    row.get_by_role("link", name=re.compile("^Open request")).click()
    expect(page.locator("h1")).to_have_text(TITLE)


with sync_playwright() as p:
    browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
    page = browser.new_page()
    today = datetime.now(UTC).date()
    sign_in(page, "requester@northwind.example")
    page.get_by_role("link", name="New request").click()
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Brief").fill("Families hiking on mountain trails in the morning light")
    page.get_by_label("Countries").select_option(["DE"])
    page.get_by_role("checkbox", name="Web").check()
    page.get_by_label("Assets needed by").fill((today + timedelta(days=7)).isoformat())
    page.get_by_label("Campaign runs from").fill((today + timedelta(days=14)).isoformat())
    page.get_by_label("Campaign runs until").fill((today + timedelta(days=74)).isoformat())
    page.get_by_role("button", name="Submit request").click()
    expect(page.locator(".toast")).to_contain_text("is submitted")
    request_url = page.url
    print(f"requester: submitted {TITLE!r} ({request_url})")
    page.get_by_role("button", name="Sign out").click()

    open_from_inbox(page, "content-manager@northwind.example")
    form = page.locator("form.decision-form")
    form.get_by_role("radio", name="Accept").check()
    form.get_by_role("button", name="Record decision").click()
    expect(page.locator(".toast")).to_contain_text("Accept")
    print("content-manager: accepted from the inbox")
    page.get_by_role("button", name="Sign out").click()

    open_from_inbox(page, "creative@northwind.example")
    matches = page.locator("#matches")
    expect(matches.get_by_role("heading", name=re.compile("Cover everything"))).to_be_visible()
    lists = matches.locator("ol.matches")
    full = lists.first.locator("li.match")
    print(f"creative: {full.count()} full matches first; the top three:")
    for n in range(min(3, full.count())):
        print("   ", " | ".join(line.strip() for line in full.nth(n).inner_text().splitlines() if line.strip())[:300])
    if lists.count() > 1:
        partial = lists.nth(1).locator("li.match")
        print(f"creative: {partial.count()} partial matches apart; the first:")
        print("   ", " | ".join(line.strip() for line in partial.first.inner_text().splitlines() if line.strip())[:300])
    first = full.first
    chosen = first.locator("a").first.inner_text()
    asset_url = first.locator("a").first.get_attribute("href")
    first.get_by_role("button", name=re.compile("^Shortlist")).click()
    expect(page.locator("#shortlist")).to_contain_text(chosen)
    page.locator("#shortlist").get_by_role("button", name="Deliver the shortlist").click()
    expect(page.locator(".toast")).to_contain_text("Deliver")
    print(f"creative: delivered {chosen!r}")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, "requester@northwind.example")
    form = page.locator("form.decision-form")
    until(page, request_url, lambda p: form.count() > 0, "the requester's acceptance task")
    download = page.locator("#delivery").get_by_role("link", name=f"Download {chosen}")
    href = download.get_attribute("href")
    answer = page.request.get(f"{BASE}{href}" if href.startswith("/") else href, max_redirects=0)
    print(f"requester: download answers {answer.status}, to {answer.headers.get('location', '')[:60]}...")
    form.get_by_role("radio", name="Accept").check()
    form.get_by_role("button", name="Record decision").click()
    expect(page.locator(".toast")).to_contain_text("Accept")
    until(page, request_url, lambda p: "Delivered" in p.locator("main").inner_text(), "the request delivered")
    print("requester: accepted; the request is delivered")
    page.goto(f"{BASE}{asset_url}" if asset_url.startswith("/") else asset_url)
    expect(page.locator("main")).to_contain_text(TITLE)
    print(f"asset page {asset_url}: lists the delivery to {TITLE!r}")
    page.screenshot(path="var/demo-creative.png", full_page=True)
    browser.close()
print("OK")
