from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.campaigns import services
from apps.common.roles import RoleCode
from tests.factories import RegionFactory, member

REGIONS = {
    "emea": ("EMEA", ["DE", "FR", "GB"]),
    "amer": ("Americas", ["US", "CA", "BR"]),
    "apac": ("APAC", ["JP", "SG", "AU"]),
}
TEAMS = (RoleCode.MARKETING, RoleCode.COMPLIANCE, RoleCode.PRODUCT)


def reviewer_email(role: str, region: str) -> str:
    return f"{role}-{region}@acme.example"


OT_PEOPLE = [
    {"email": reviewer_email(role, code), "groups": [role]}
    for code in REGIONS
    for role in ("marketing", "compliance", "product")
] + [{"email": "planner@acme.example", "groups": []}]


@pytest.fixture
def regions(db):
    return {
        code: RegionFactory(code=code, name=name, countries=countries) for code, (name, countries) in REGIONS.items()
    }


@pytest.fixture
def planner(client_a):
    return member(client_a, RoleCode.CONTENT_MANAGER, email="planner@acme.example")


@pytest.fixture
def regional(client_a, regions):
    """Each region's marketing, compliance and product reviewer, scoped to that region."""
    return {
        (role.value, code): member(client_a, role, email=reviewer_email(role.value, code), regions=[region])
        for code, region in regions.items()
        for role in TEAMS
    }


def plan(*codes, **changes) -> services.Plan:
    today = timezone.localdate()
    fields = {
        "name": "Summer trails",
        "channels": ["usage_web", "usage_social_media"],
        "run_from": today + timedelta(days=14),
        "run_until": today + timedelta(days=74),
        "regions": [services.RegionPlan(code=code) for code in (codes or ("emea", "amer", "apac"))],
    }
    fields.update(changes)
    return services.Plan(**fields)


@pytest.fixture
def opentext(platforms):
    platforms.opentext_tenant(users=OT_PEOPLE)
    return platforms


@pytest.fixture
def library(opentext, client_a):
    return opentext.approved_library(client_a, 6)
