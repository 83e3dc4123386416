"""Demo data for the embedded default: two agency clients, regions, and one user per persona per client.

It reads every app (accounts, clients, and the emulators by command name), so it lives in ``apps.demo``, the top
layer; later issues add their demo content through their own seed functions, called from here.
"""

from __future__ import annotations

from functools import cached_property

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from apps.accounts.models import Membership, Region, Role, User
from apps.clients.choices import TaskKind
from apps.clients.models import Client
from apps.common.roles import RoleCode
from apps.demo import review_links
from apps.demo.analytics import seed_history
from apps.demo.campaigns import seed_campaign, seed_campaign_people
from apps.demo.creative import seed_requests
from apps.demo.onboarding import queue_advance, seed_onboarding_policies
from apps.demo.review_links import queue_demo_link
from apps.demo.webhooks import seed_webhook
from apps.exceptions.models import ExceptionPolicy

DEMO_PASSWORD = "greenlight-demo"  # noqa: S105 - printed for the demo; the command refuses to run in production

REGIONS = {
    "emea": ("EMEA", "AT BE CH DE DK ES FI FR GB IE IT NL NO PL PT SE AE SA ZA EG NG KE"),
    "apac": ("APAC", "AU CN HK IN ID JP KR MY NZ PH SG TH TW VN"),
    "amer": ("AMER", "US CA MX BR AR CL CO PE"),
}

CLIENTS = [
    {
        "slug": "northwind",
        "name": "Northwind Outdoor",
        "rights_warning_days": 30,
        "usage_threshold_percent": 80,
        "required_metadata_fields": ["title", "keywords", "copyright_notice"],
        "sla_hours": {TaskKind.APPROVAL: 48, TaskKind.RENEWAL: 72},
        "escalation_contacts": ["content-ops@northwind.example"],
        "review_regions": ["emea", "amer"],
        "review_usages": ["usage_web", "usage_social_media", "usage_advertising"],
    },
    {
        "slug": "contoso",
        "name": "Contoso Pharma",
        "rights_warning_days": 60,
        "usage_threshold_percent": 70,
        "required_metadata_fields": [
            "title",
            "keywords",
            "copyright_notice",
            "model_release",
            "usage_restrictions",
        ],
        "sla_hours": {TaskKind.APPROVAL: 24, TaskKind.COMPLIANCE: 24},
        "escalation_contacts": ["legal-escalations@contoso.example", "brand-office@contoso.example"],
        "review_regions": ["emea"],
        "review_usages": ["usage_web", "usage_print"],
    },
]

# persona -> (roles, regions, display names per client). The regional reviewers show region scoping at work: each
# Northwind cycle is for the review regions its asset's licence reaches (EMEA, AMER or both), and a reviewer scoped to
# EMEA sees the EMEA and the both-regions cycles, never the AMER-only ones (and the other way round).
PERSONAS: dict[str, tuple[list[str], list[str], dict[str, str]]] = {
    "requester": ([RoleCode.REQUESTER], [], {"northwind": "Rita Requester", "contoso": "Ravi Requester"}),
    "reviewer": (
        [RoleCode.REVIEWER, RoleCode.MARKETING],
        ["emea"],
        {"northwind": "Eva Reviewer", "contoso": "Emil Reviewer"},
    ),
    "reviewer-amer": (
        [RoleCode.REVIEWER, RoleCode.MARKETING],
        ["amer"],
        {"northwind": "Andy Reviewer", "contoso": "Alma Reviewer"},
    ),
    "legal": ([RoleCode.LEGAL], [], {"northwind": "Lena Legal", "contoso": "Lars Legal"}),
    "brand": ([RoleCode.BRAND], [], {"northwind": "Bea Brand", "contoso": "Ben Brand"}),
    "marketing": ([RoleCode.MARKETING], [], {"northwind": "Mia Marketing", "contoso": "Max Marketing"}),
    "compliance": (
        [RoleCode.COMPLIANCE],
        [],
        {"northwind": "Clara Compliance", "contoso": "Colin Compliance"},
    ),
    "product": ([RoleCode.PRODUCT], ["amer"], {"northwind": "Paula Product", "contoso": "Pedro Product"}),
    "content-manager": (
        [RoleCode.CONTENT_MANAGER],
        [],
        {"northwind": "Cem Content", "contoso": "Cora Content"},
    ),
    "procurement": (
        [RoleCode.PROCUREMENT],
        [],
        {"northwind": "Priya Procurement", "contoso": "Piet Procurement"},
    ),
    "owner": ([RoleCode.CONTENT_OWNER], [], {"northwind": "Olga Owner", "contoso": "Omar Owner"}),
    "creative": ([RoleCode.CREATIVE], [], {"northwind": "Carlos Creative", "contoso": "Chloe Creative"}),
    "client-admin": ([RoleCode.AGENCY_ADMIN], [], {"northwind": "Nina Admin", "contoso": "Conor Admin"}),
    "external": ([RoleCode.EXTERNAL], [], {"northwind": "Ed External", "contoso": "Elsa External"}),
    "integrator": ([RoleCode.INTEGRATOR], [], {"northwind": "Ian Integrator", "contoso": "Ines Integrator"}),
}

AGENCY_ADMIN_EMAIL = "admin@agency.example"


class Command(BaseCommand):
    help = "Create demo clients, regions and one user per persona per client (idempotent), and print the logins."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when any client already exists.")
        parser.add_argument("--allow-production", action="store_true", help="Run even with DEBUG off (a staging demo).")
        parser.add_argument("--quiet-logins", action="store_true", help="Do not print the table of logins.")

    def handle(self, *args, if_empty, allow_production, quiet_logins, **options):
        if not settings.DEBUG and not allow_production:
            raise CommandError("Demo users share a published password; use --allow-production to seed anyway.")
        if if_empty and Client.objects.exists():
            self.stdout.write("Clients exist already; demo data left as it is.")
        else:
            with transaction.atomic():
                created = self.seed()
            self.stdout.write(self.style.SUCCESS(f"Demo data ready ({created} new users)."))
        if settings.EMULATORS:
            # The platform stand-ins get the same people and clients (by command name: nothing imports them).
            call_command("seed_emulators", stdout=self.stdout)
        seed_requests(self.stdout)  # once per client; after the emulators, as one request starts in OpenText
        seed_history(self.stdout)  # issue 16: Northwind's past cycles, so the analytics page shows where they wait
        if settings.EMULATORS:
            queue_advance()  # onboarding runs at each step, exceptions of every cause (apps/demo/onboarding.py)
        seed_campaign(self.stdout)  # flow 5: Northwind's global campaign, once; the worker starts its review
        queue_demo_link()  # issue 15: Contoso's stakeholder review link, once its assets are there
        seed_webhook(self.stdout)  # issue 16: Northwind's endpoint, delivering to an emulated integrator's receiver
        if not quiet_logins:
            self.print_logins()
        self.stdout.write(review_links.describe())
        self.stdout.write(review_links.describe_delegation())

    def seed(self) -> int:
        regions = {}
        for code, (name, countries) in REGIONS.items():
            region, _ = Region.objects.update_or_create(
                code=code, defaults={"name": name, "countries": countries.split()}
            )
            regions[code] = region
        roles = {role.code: role for role in Role.objects.for_codes(RoleCode.values)}
        created = 0
        for spec in CLIENTS:
            spec = dict(spec)
            slug = spec.pop("slug")
            spec["sla_hours"] = {str(kind): hours for kind, hours in spec["sla_hours"].items()}
            client, _ = Client.objects.update_or_create(slug=slug, defaults=spec)
            for persona, (role_codes, region_codes, names) in PERSONAS.items():
                user, is_new = self.user(f"{persona}@{slug}.example", names[slug])
                created += is_new
                self.member(user, client, [roles[c] for c in role_codes], [regions[c] for c in region_codes])
        admin, is_new = self.user(AGENCY_ADMIN_EMAIL, "Alex Agency-Admin", is_staff=True, is_superuser=True)
        created += is_new
        for client in Client.objects.filter(slug__in=[c["slug"] for c in CLIENTS]):
            self.member(admin, client, [roles[RoleCode.AGENCY_ADMIN], roles[RoleCode.COMPLIANCE]], [])
        # issue 15: Contoso's approvals need two of its brand people and, last, its client stakeholder (Elsa
        # External, who reviews through a link); a second brand reviewer makes the quorum possible
        contoso = Client.objects.filter(slug="contoso").first()
        if contoso is not None:
            lead, is_new = self.user("brand-lead@contoso.example", "Bianca Brand")
            created += is_new
            self.member(lead, contoso, [roles[RoleCode.BRAND]], [])
            deputy, is_new = self.user(*review_links.DEPUTY)  # Contoso's legal deputy and the delegation
            created += is_new
            self.member(deputy, contoso, [roles[RoleCode.LEGAL]], [])
            review_links.seed_delegation()
        seed_exception_policies()
        seed_onboarding_policies()  # flow 6: the demo clients onboard their DAM content
        seed_approval_policies(admin)
        seed_campaign_people(self.demo_password_hash)  # flow 5: the regional reviewers the campaign's regions need
        return created

    @cached_property
    def demo_password_hash(self) -> str:
        """Hashed once: every demo user shares the published password, and 29 slow hashes would cost ~20 s."""
        return make_password(DEMO_PASSWORD)

    def user(self, email: str, full_name: str, **flags) -> tuple[User, bool]:
        user, is_new = User.objects.get_or_create(
            email=email, defaults={"full_name": full_name, "password": self.demo_password_hash, **flags}
        )
        return user, is_new

    @staticmethod
    def member(user: User, client: Client, roles: list[Role], regions: list[Region]) -> None:
        membership, _ = Membership.objects.get_or_create(user=user, client=client)
        membership.roles.set(roles)
        membership.regions.set(regions)

    def print_logins(self) -> None:
        self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD})")
        self.stdout.write(
            "  Northwind reviews for EMEA and AMER: a cycle is for the regions its asset's licence reaches, and a\n"
            "  reviewer scoped to a region sees only the cycles for it. External members see only what an internal\n"
            "  member shared with them (the Share control on an asset's or a case's page)."
        )
        self.stdout.write(f"  {AGENCY_ADMIN_EMAIL:<36} agency admin of every client, operator admin site")
        self.stdout.write(
            "  Northwind's global campaign (Campaigns) is reviewed per region: reviewer@ (EMEA), reviewer-amer@ and\n"
            "  reviewer-apac@ (marketing), compliance@, product@ (AMER), product-emea@, product-apac@ work their cells."
        )
        for spec in CLIENTS:
            for persona, (role_codes, region_codes, _names) in PERSONAS.items():
                scope = f" ({', '.join(r.upper() for r in region_codes)} only)" if region_codes else ""
                roles = ", ".join(RoleCode(code).label.lower() for code in role_codes)
                self.stdout.write(f"  {persona + '@' + spec['slug'] + '.example':<36} {roles}{scope}")
        self.stdout.write(f"  {'brand-lead@contoso.example':<36} brand (Contoso's approvals need two brand people)")


# Exceptions (flow 4): what each demo client accepts beyond its required metadata. The worker's first pull runs the
# rules: Northwind's and Contoso's assets without keywords or copyright (missing metadata) and cancelled licences
# open cases at once, and Contoso's rights-managed licences (a licence type it does not accept); editorial-only or
# unreleased assets open cases once approved for the client's commercial or advertising usages, which the demo's
# worker does for one of each (apps/demo/onboarding.py: advance_demo). Any asset page has "Report a problem" too.
EXCEPTION_POLICIES = {
    "northwind": {"accepted_providers": [], "accepted_license_types": [], "refused_flags": []},
    "contoso": {
        "accepted_providers": [],
        "accepted_license_types": ["royalty_free", "editorial", "in_house"],
        "refused_flags": [],
        "sla_hours": {"rights": 24, "policy": 24},
    },
}


# Approval shapes (issue 15, item 5): Northwind keeps the default (legal, brand, marketing at once, one each);
# Contoso's brand approval needs two different people, and a client stakeholder approves last.
APPROVAL_POLICIES = {
    "contoso": {
        "roles": ["legal", "brand", "marketing"],
        "sequential": False,
        "quorum": {"brand": 2},
        "stakeholder_step": True,
    }
}


def seed_approval_policies(actor) -> None:
    from apps.reviews import policy

    for slug, changes in APPROVAL_POLICIES.items():
        client = Client.objects.filter(slug=slug).first()
        if client is not None:
            policy.update_policy(client, actor=actor, changes=changes, reason="Demo data")


def seed_exception_policies() -> None:
    for slug, policy in EXCEPTION_POLICIES.items():
        client = Client.objects.filter(slug=slug).first()
        if client is not None:
            ExceptionPolicy.objects.update_or_create(client=client, defaults=policy)
