"""What both demo checks share: where the portal is, how chromium starts here, how a demo person signs in."""

import os
import re

from playwright.sync_api import expect

BASE = os.environ.get("PORTAL_URL", "http://127.0.0.1:8000")
PASSWORD = "greenlight-demo"  # every demo login's password (printed by `make run`)
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def sign_in(page, email):
    page.goto(f"{BASE}/accounts/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("Sign in")).click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
