"""Demo onboarding policies (flow 6): both demo clients onboard the content their DAMs ingest into Smint.io (the
emulator's demo library has Bynder and Brandfolder assets, licence type ``in_house``), so after the first pull of
``make run`` those assets are held and their onboarding runs wait in the content managers' inbox. Northwind sends a
published asset on to approval; Contoso publishes it approved."""

from __future__ import annotations

from apps.clients.models import Client
from apps.onboarding.models import OnboardingPolicy

POLICIES = {
    "northwind": {"sources": ["bynder", "brandfolder"], "approval_after": True},
    "contoso": {"sources": ["bynder", "brandfolder", "in_house"], "approval_after": False},
}


def seed_onboarding_policies() -> None:
    """Idempotent: each demo client's policy is set to the one above."""
    for slug, policy in POLICIES.items():
        client = Client.objects.filter(slug=slug).first()
        if client is not None:
            OnboardingPolicy.objects.update_or_create(client=client, defaults=policy)
