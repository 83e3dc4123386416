"""Flow 1 against a running `make run`: reviewers of each role approve one asset, brand rejects another, and
both statuses show on the sync page as delivered to Smint.io. Run `.venv/bin/python scripts/demo/approval.py`
(PORTAL_URL if not http://127.0.0.1:8000)."""

import re
import sys
import time

from common import ARGS, BASE, sign_in
from playwright.sync_api import expect, sync_playwright


def decide(page, email, href, outcome, reason):
    """Decide on the task of the asset at ``href`` (None: the first waiting one) from the inbox's team tab."""
    sign_in(page, email)
    page.get_by_role("link", name=re.compile("Unassigned for my roles")).click()
    link = page.locator("tbody tr a.task-asset").first if href is None else page.locator(f'a.task-asset[href="{href}"]')
    href, name = link.get_attribute("href"), link.inner_text().strip()
    row = page.locator("tbody tr", has=page.locator(f'a.task-asset[href="{href}"]'))
    row.get_by_role("link", name=re.compile("^Decide")).click()
    panel = page.locator("#decision")
    expect(panel).to_contain_text(name)
    panel.get_by_label(outcome).check()
    panel.get_by_label("Reason").fill(reason)
    panel.get_by_role("button", name="Record decision").click()
    expect(page.locator(".toast")).to_contain_text(outcome)
    print(f"  {email}: {outcome} {name!r} ({href})")
    page.get_by_role("button", name="Sign out").click()
    return href


with sync_playwright() as p:
    browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
    page = browser.new_page()
    approved = decide(page, "legal@northwind.example", None, "Approve", "Licence covers EMEA/AMER web")
    decide(page, "brand@northwind.example", approved, "Approve", "On brand")
    decide(page, "marketing@northwind.example", approved, "Approve", "Campaign fit")
    decide(page, "brand@northwind.example", None, "Reject", "Logo too small for print")
    sign_in(page, "admin@agency.example")
    deadline = time.time() + 180
    while True:
        page.goto(f"{BASE}/sync/")
        delivered = page.locator("section", has=page.locator("#delivered-title")).inner_text()
        if "approved" in delivered and "rejected" in delivered:
            break
        if time.time() > deadline:
            print(delivered)
            sys.exit("FAILED: statuses did not arrive within 180 s")
        time.sleep(3)
    print("sync page, Recently delivered:")
    print("\n".join("  " + line for line in delivered.splitlines()[:8]))
    page.screenshot(path="var/demo-approval.png", full_page=True)
    browser.close()
print("OK")
