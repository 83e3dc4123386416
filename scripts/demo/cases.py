"""Flows 2 and 8 against a running `make run`: a soon-lapsing demo asset's renewal case is worked to a takedown
(owner, then legal), the demo burst's compliance case to "user warned" (legal), and both dispositions are delivered
to the Smint.io emulator (sync page). Run `.venv/bin/python scripts/demo/cases.py`."""

import sys
import time

from common import ARGS, BASE, sign_in
from playwright.sync_api import expect, sync_playwright


def decide(page, outcome, reason):
    form = page.locator("form.decision-form").first
    form.get_by_role("radio", name=outcome).check()
    form.get_by_label("Reason").fill(reason)
    form.get_by_role("button", name="Record decision").click()
    expect(page.locator(".toast")).to_contain_text(outcome)


def wait_for_task(page, url, who):
    for _ in range(60):
        page.goto(url)
        if page.locator("form.decision-form").count():
            return
        time.sleep(2)
    sys.exit(f"FAILED: no open task for {who} on {url}")


with sync_playwright() as p:
    browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
    page = browser.new_page()
    sign_in(page, "owner@northwind.example")
    page.goto(f"{BASE}/cases/?kind=renewal&trigger=lapse")
    link = page.locator("#results tbody tr a").first
    title, href = link.inner_text(), link.get_attribute("href")
    print(f"renewal case: {title} ({href}); open lapse cases listed: {page.locator('#results tbody tr').count()}")
    wait_for_task(page, BASE + href, "the owner")
    decide(page, "Take down", "Campaign is over; not worth renewing")
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "legal@northwind.example")
    wait_for_task(page, BASE + href, "legal")
    decide(page, "Sign off", "")
    print("  owner: take down; legal: signed off")

    page.goto(f"{BASE}/cases/?kind=compliance&q=Burst")
    rows = page.locator("#results tbody tr")
    print(f"compliance cases (burst): {rows.count()}")
    burst = page.locator("#results tbody tr a", has_text="Burst").first
    burst_href = burst.get_attribute("href")
    wait_for_task(page, BASE + burst_href, "legal (compliance)")
    expect(page.locator("#evidence-title")).to_be_visible()
    print("  evidence rows:", page.locator("section:has(#evidence-title) tbody tr").count())
    decide(page, "User warned", "Told the agency: bulk downloads need a request")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, "admin@agency.example")
    deadline = time.time() + 180
    while True:
        page.goto(f"{BASE}/sync/")
        delivered = page.locator("section", has=page.locator("#delivered-title")).inner_text()
        if "withdrawn" in delivered and "cleared" in delivered:
            break
        if time.time() > deadline:
            print(delivered)
            sys.exit("FAILED: dispositions did not arrive within 180 s")
        time.sleep(3)
    print("\n".join("  " + line for line in delivered.splitlines()[:12]))
    for url in (href, burst_href):
        page.goto(BASE + url)
        print(" ", url, "->", page.locator(".page-head p").first.inner_text().split("\n")[0][:80])
    page.screenshot(path="var/demo-cases.png", full_page=True)
    browser.close()
print("OK")
