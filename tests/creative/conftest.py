from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.common.roles import RoleCode
from apps.creative import services
from tests.factories import member

OT_PEOPLE = [
    {"email": "ops@acme.example", "groups": ["content_manager"]},
    {"email": "creative@acme.example", "groups": ["creative"]},
    {"email": "asker@acme.example", "groups": []},
    {"email": "other-asker@acme.example", "groups": []},
]


@pytest.fixture
def people(client_a):
    return {
        "requester": member(client_a, RoleCode.REQUESTER, email="asker@acme.example"),
        "other_requester": member(client_a, RoleCode.REQUESTER, email="other-asker@acme.example"),
        "ops": member(client_a, RoleCode.CONTENT_MANAGER, email="ops@acme.example"),
        "creative": member(client_a, RoleCode.CREATIVE, email="creative@acme.example"),
    }


def intake(**changes) -> services.Intake:
    today = timezone.localdate()
    fields = {
        "title": "Spring hiking launch",
        "brief": "Families on mountain trails, bright morning light.",
        "countries": ["DE", "FR"],
        "usages": ["usage_web"],
        "deadline": today + timedelta(days=10),
        "run_from": today + timedelta(days=14),
        "run_until": today + timedelta(days=60),
    }
    fields.update(changes)
    return services.Intake(**fields)


@pytest.fixture
def opentext(platforms):
    platforms.opentext_tenant(users=OT_PEOPLE)
    return platforms


@pytest.fixture
def library(opentext, client_a):
    return opentext.approved_library(client_a, 12)
