"""The review inbox and the asset library at scale, over real HTTP against gunicorn, next to a bare view.

    .venv/bin/python bench/review.py [--assets 1000000] [--tasks 100000] [--clients 50] [--requests 300]
                                     [--client bench-012] [--try-indexes] [--explain 2]

1. Data (kept between runs, topped up): ``--assets`` assets over ``--clients`` clients, each with one licence
   purchase and one or two terms, built from the Smint.io emulator's demo library and mapped by the sync's own
   ``map_lpt`` (so JSON sizes are what a pull stores); ``--tasks`` open asset-approval tasks, each with its run,
   on assets in review. Loaded with ``COPY``, then ``VACUUM ANALYZE``.
2. Three people of one client, signed in through the login form: a legal reviewer (no region), a marketing
   reviewer scoped to EMEA, an agency admin.
3. Each endpoint: 20 warm-up and ``--requests`` sequential requests; server time from ``Server-Timing``, queries
   from ``X-Query-Count`` (``bench/middleware.py``), ratio of the median to the bare view's in the same run.
4. The SQL of the ``--explain`` slowest pages, captured in-process (Django test client, same database) and run
   under ``EXPLAIN (ANALYZE, BUFFERS)``, the indexes each statement uses, and a cProfile of the same pages.

``--try-indexes`` creates the candidate indexes of ``CANDIDATE_INDEXES`` (by hand, in this database only) before
measuring and drops them afterwards, for before/after figures; they are dropped at the start of every run too.
Results are written to ``bench/results/review-<UTC timestamp>.json``.
"""

from __future__ import annotations

import argparse
import cProfile
import html
import json
import os
import pstats
import random
import re
import signal
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import harness  # noqa: E402
from bench.harness import DEFAULT_URL, ensure_database, free_port, setup_django, start_server  # noqa: E402
from bench.run import login, measure, print_table  # noqa: E402

PASSWORD = "bench password 1234"  # noqa: S105 - the benchmark database's own accounts
LEGAL = "review-legal@bench.example"
MARKETING_EMEA = "review-marketing-emea@bench.example"
ADMIN = "review-admin@bench.example"
TEMPLATES_PER_CLIENT = 200
CHUNK = 50_000
ROLE_SETS = [
    (["legal"], 30),
    (["brand"], 25),
    (["marketing"], 25),
    (["brand", "legal"], 10),
    (["brand", "marketing"], 10),
]
OUTCOMES = [["Approve", "approved"], ["Request changes", "changes_requested"], ["Reject", "rejected"]]
# Tried by hand with --try-indexes (never by a migration from here): name -> CREATE INDEX statement.
# (asset_client_name_trgm was tried here first and now ships in assets.0003.)
CANDIDATE_INDEXES: dict[str, str] = {}


# -- data ---------------------------------------------------------------------------------------------------------
def _templates(slug: str) -> list[dict]:
    """Licence purchases of the emulator's demo library for ``slug``, as the sync maps them, JSON pre-serialised."""
    from apps.emulators.smintio import demo
    from apps.integrations.smintio.sync import TERM_LIST_FIELDS, map_lpt

    templates = []
    for planned in demo.build_library(slug, count=TEMPLATES_PER_CLIENT).assets:
        terms = [{**term, "sequence_number": n} for n, term in enumerate(planned.lpt_data["license_terms"], 1)]
        document = {
            **planned.lpt_data,
            "uuid": planned.lpt_uuid,
            "cart_purchase_transaction_uuid": planned.cart_uuid,
            "state": "completed",
            "version": 1,
            "license_terms": terms,
            "content_element": {"uuid": planned.element_uuid, "provider": planned.provider, **planned.element_data},
        }
        record = map_lpt(document)
        asset, licence = record.asset, record.license
        templates.append(
            {
                "element_uuid": planned.element_uuid,
                "lpt_uuid": planned.lpt_uuid,
                "cart_uuid": planned.cart_uuid,
                "asset": asset,
                "keywords": json.dumps(asset["keywords"]),
                "copyright_notices": json.dumps(asset["copyright_notices"]),
                "metadata": json.dumps(asset["metadata"]),
                "license": licence,
                "raw": json.dumps(licence["raw"]),
                "terms": [
                    (term["name"], [json.dumps(term[name]) for name in TERM_LIST_FIELDS], term["is_editorial_use"])
                    for term in record.terms[:2]
                ],
            }
        )
    return templates


def _term_dates(rng: random.Random, now: datetime) -> tuple[datetime, datetime | None, datetime | None]:
    """valid_from, valid_until, to_be_used_until: about half perpetual, ~3 % lapsed, ~1.5 % lapsing within 60 days."""
    day = timedelta(days=1)
    valid_from = now - rng.uniform(30, 3 * 365) * day
    r = rng.random()
    if r < 0.50:
        valid_until = None
    elif r < 0.53:
        valid_until = now - rng.uniform(1, 365) * day
    elif r < 0.545:
        valid_until = now + rng.uniform(0, 60) * day
    else:
        valid_until = now + rng.uniform(60, 5 * 365) * day
    r = rng.random()
    if r < 0.85:
        to_be_used_until = None
    elif r < 0.86:
        to_be_used_until = now + rng.uniform(0, 60) * day
    else:
        to_be_used_until = now + rng.uniform(60, 4 * 365) * day
    return valid_from, valid_until, to_be_used_until


def _states(rng: random.Random, lapsed: bool) -> tuple[str, str]:
    """(approval_state, rights_state): most approved with valid rights, ~10 % in review, some pending or rejected."""
    if lapsed:
        rights = "expired"
    else:
        r = rng.random()
        rights = "valid" if r < 0.93 else "unknown" if r < 0.97 else "not_yet_valid" if r < 0.99 else "withdrawn"
    r = rng.random()
    if rights in ("expired", "withdrawn"):  # not reviewable: never in review
        return ("approved" if r < 0.7 else "rejected" if r < 0.85 else "withdrawn"), rights
    for state, upto in (("approved", 0.78), ("in_review", 0.89), ("pending", 0.93), ("rejected", 0.97)):
        if r < upto:
            return state, rights
    return ("changes_requested" if r < 0.99 else "withdrawn"), rights


def _reserve_ids(cursor, table: str, count: int) -> list[int]:
    """``count`` ids from ``table``'s identity sequence, so COPY can write related rows in the same pass."""
    cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count])
    return [row[0] for row in cursor.fetchall()]


def _load_assets(clients: list, missing: int, now: datetime) -> None:
    """``missing`` assets with their licence purchase and terms, in COPY chunks of ``CHUNK`` (one commit each)."""
    from django.db import connection, transaction

    from apps.integrations.smintio.sync import TERM_LIST_FIELDS

    started = time.perf_counter()
    templates = {client.pk: _templates(client.slug) for client in clients}
    client_ids = list(templates)
    rng = random.Random(f"review-bench:{time.time_ns()}")
    done = 0
    while done < missing:
        size = min(CHUNK, missing - done)
        with transaction.atomic(), connection.cursor() as cursor:
            asset_ids = _reserve_ids(cursor, "assets_asset", size)
            lpt_ids = _reserve_ids(cursor, "assets_licensepurchase", size)
            rows = []
            for n in range(size):
                client_id = rng.choice(client_ids)
                template = rng.choice(templates[client_id])
                terms = [
                    (spec, *_term_dates(rng, now))
                    for spec in (template["terms"] * 2)[: 1 if rng.random() < 0.65 else 2]
                ]
                lapsed = any(until is not None and until < now for _, _, until, _ in terms)
                approval, rights = _states(rng, lapsed)
                element = str(uuid.UUID(int=rng.getrandbits(128), version=4))
                lpt = str(uuid.UUID(int=rng.getrandbits(128), version=4))
                cart = str(uuid.UUID(int=rng.getrandbits(128), version=4))
                created = now - timedelta(seconds=(missing - done - n) * 20)
                rows.append(
                    (
                        asset_ids[n],
                        lpt_ids[n],
                        client_id,
                        template,
                        terms,
                        approval,
                        rights,
                        element,
                        lpt,
                        cart,
                        created,
                    )
                )
            with cursor.cursor.copy(
                "COPY assets_asset (id, client_id, content_element_uuid, provider, content_type, content_category, "
                "name, description, keywords, copyright_notices, preview_url, is_editorial, approval_state, "
                "rights_state, rights_until, metadata, created_at, updated_at, on_hold) FROM STDIN"
            ) as copy:
                for asset_id, _, client_id, template, terms, approval, rights, element, _, _, created in rows:
                    a = template["asset"]
                    ends = [min((d for d in t[2:4] if d is not None), default=None) for t in terms]
                    until = None if rights != "valid" or None in ends else max(ends)
                    copy.write_row(
                        (
                            asset_id,
                            client_id,
                            element,
                            a["provider"],
                            a["content_type"],
                            a["content_category"],
                            a["name"],
                            a["description"],
                            template["keywords"],
                            template["copyright_notices"],
                            f"https://cdn.bench.example/previews/{element}.jpg",
                            a["is_editorial"],
                            approval,
                            rights,
                            until,
                            template["metadata"].replace(template["element_uuid"], element),
                            created,
                            created,
                            False,  # a model default, not a column default: COPY must send it
                        )
                    )
            with cursor.cursor.copy(
                "COPY assets_licensepurchase (id, client_id, asset_id, uuid, cart_purchase_transaction_uuid, "
                "reused_license_purchase_transaction_uuid, state, version, purchased_at, license_type, license_text, "
                "max_downloads, max_users, max_reuses, current_downloads, current_users, current_reuses, "
                "can_be_synced, has_potentially_restrictive_terms, remote_updated_at, binaries_version, raw, "
                "synced_at, limits_pending) FROM STDIN"
            ) as copy:
                for asset_id, lpt_id, client_id, template, _, _, rights, _, lpt, cart, created in rows:
                    lic = template["license"]
                    raw = template["raw"].replace(template["lpt_uuid"], lpt).replace(template["cart_uuid"], cart)
                    copy.write_row(
                        (
                            lpt_id,
                            client_id,
                            asset_id,
                            lpt,
                            cart,
                            lic["reused_license_purchase_transaction_uuid"],
                            "cancelled" if rights == "withdrawn" else "completed",
                            1,
                            lic["purchased_at"] or created,
                            lic["license_type"],
                            lic["license_text"],
                            lic["max_downloads"],
                            lic["max_users"],
                            lic["max_reuses"],
                            lic["current_downloads"],
                            lic["current_users"],
                            lic["current_reuses"],
                            lic["can_be_synced"],
                            lic["has_potentially_restrictive_terms"],
                            created,
                            1,
                            raw,
                            created,
                            True,  # written, not yet judged by the renewal sweep (as the sync leaves it)
                        )
                    )
            columns = ", ".join(TERM_LIST_FIELDS)
            with cursor.cursor.copy(
                f"COPY assets_licenseterm (license_purchase_id, sequence_number, name, {columns}, valid_from, "
                "valid_until, to_be_used_until, is_editorial_use, created_at) FROM STDIN"
            ) as copy:
                for _, lpt_id, _, _, terms, _, _, _, _, _, created in rows:
                    for sequence, ((name, lists, editorial), valid_from, valid_until, use_until) in enumerate(terms, 1):
                        copy.write_row(
                            (lpt_id, sequence, name, *lists, valid_from, valid_until, use_until, editorial, created)
                        )
        done += size
        print(f"  assets: {done:,}/{missing:,} ({time.perf_counter() - started:.0f} s)", flush=True)


def _load_tasks(clients: list, missing: int, people: dict, colleagues: dict, measured_id: int, now: datetime) -> int:
    """Open approval tasks (each with its run) on assets in review that have none yet; returns how many."""
    from django.db import connection, transaction

    from apps.demo.management.commands.seed_demo import REGIONS
    from apps.workflows.models import codes_key

    slugs = {client.pk: client.slug for client in clients}
    rng = random.Random(f"review-bench-tasks:{time.time_ns()}")
    day = timedelta(days=1)
    variables_base = {
        "intendedCountries": sorted({*REGIONS["emea"][1].split(), *REGIONS["amer"][1].split()}),
        "intendedUsages": ["usage_web", "usage_social_media", "usage_advertising"],
        "useUntil": (now + 365 * day).date().isoformat(),
    }
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.id, a.client_id, a.name, a.content_element_uuid FROM assets_asset a "
            "WHERE a.client_id = ANY(%s) AND a.approval_state = 'in_review' AND NOT EXISTS ("
            "  SELECT 1 FROM workflows_workflowrun r WHERE r.subject_type = 'assets.asset' AND r.subject_id = a.id"
            "  AND r.process_key = 'asset_approval' AND r.status IN ('starting', 'running')"
            ") ORDER BY a.id LIMIT %s",
            [list(slugs), missing],
        )
        subjects = cursor.fetchall()
        if not subjects:
            return 0
        run_ids = _reserve_ids(cursor, "workflows_workflowrun", len(subjects))
        plans = []
        for run_id, (asset_id, client_id, name, element) in zip(run_ids, subjects, strict=True):
            roles = rng.choices([r for r, _ in ROLE_SETS], weights=[w for _, w in ROLE_SETS])[0]
            r = rng.random()
            # as a multi-region client's cycles fall (the regions its licences reach), and some not regional
            regions = (
                (["amer", "emea"] if r < 0.45 else ["emea"] if r < 0.75 else ["amer"] if r < 0.9 else ["apac"])
                if r < 0.95
                else []
            )
            due = now + rng.uniform(-10, 20) * day
            assignee = None
            if rng.random() < 0.10:
                if client_id != measured_id:
                    assignee = colleagues[client_id]
                elif "legal" in roles:
                    assignee = people[LEGAL]
                elif "marketing" in roles and (not regions or "emea" in regions):
                    assignee = people[MARKETING_EMEA]
                else:
                    assignee = colleagues[client_id]
            plans.append((run_id, asset_id, client_id, name, element, roles, regions, due, assignee))
        with cursor.cursor.copy(
            "COPY workflows_workflowrun (id, client_id, process_key, business_key, subject_type, subject_id, title, "
            "status, variables, remote_id, outcome, created_at, started_at) FROM STDIN"
        ) as copy:
            for run_id, asset_id, client_id, name, element, _, regions, due, _ in plans:
                started = due - 2 * day
                variables = {
                    "client": slugs[client_id],
                    "asset": element,
                    "assetName": name or element,
                    "reviewDueDate": due.isoformat(),
                    "intendedRegions": regions,
                    **variables_base,
                }
                copy.write_row(
                    (
                        run_id,
                        client_id,
                        "asset_approval",
                        f"bench-review:{asset_id}",
                        "assets.asset",
                        asset_id,
                        name,
                        "running",
                        json.dumps(variables),
                        f"bench-run-{asset_id}",
                        "",
                        started,
                        started,
                    )
                )
        with cursor.cursor.copy(
            "COPY workflows_task (client_id, run_id, remote_id, task_key, name, description, candidate_roles, "
            "roles_key, possible_outcomes, regions, regions_key, assignee_id, assignee_email, status, outcome, due_at, "
            "remote_created_at, claimed_at, version, created_at, updated_at) FROM STDIN"
        ) as copy:
            for run_id, asset_id, client_id, _, _, roles, regions, due, assignee in plans:
                created = due - 2 * day
                copy.write_row(
                    (
                        client_id,
                        run_id,
                        f"bench-task-{asset_id}",
                        f"{roles[0]}Review",
                        " and ".join(role.capitalize() for role in roles) + " review",
                        "",
                        json.dumps(roles),
                        codes_key(roles),
                        json.dumps(OUTCOMES),
                        json.dumps(regions),
                        codes_key(regions),
                        assignee.pk if assignee else None,
                        assignee.email if assignee else "",
                        "open",
                        "",
                        due,
                        created,
                        created + rng.uniform(0, 1) * day if assignee else None,
                        2 if assignee else 1,
                        created,
                        created,
                    )
                )
    return len(plans)


def populate(args) -> dict:
    """Clients, regions, the three measured people, and the assets and tasks topped up to the asked numbers."""
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from apps.accounts.models import Membership, Region, Role, User
    from apps.assets.models import Asset
    from apps.clients.models import Client, ConnectionStatus, SmintioConnection
    from apps.common.roles import RoleCode
    from apps.demo.management.commands.seed_demo import REGIONS
    from apps.emulators.smintio import payloads as smintio_payloads
    from apps.workflows.models import Task

    call_command("migrate", verbosity=0)
    clients = [
        Client.objects.get_or_create(slug=f"bench-{n:03d}", defaults={"name": f"Bench client {n:03d}"})[0]
        for n in range(args.clients)
    ]
    # Each client connected to Smint.io as a first full sync leaves it: with the vocabularies (generic metadata,
    # ~17 kB of JSON) that every licence check and every "limits" reads. Without them the figures would leave out
    # what reading a vocabulary costs.
    metadata = smintio_payloads.generic_metadata()
    for client in clients:
        SmintioConnection.objects.get_or_create(
            client=client,
            defaults={
                "tenant": client.slug,
                "status": ConnectionStatus.CONNECTED,
                "connected_at": timezone.now(),
                "last_pull_ok": True,
                "last_pull_finished_at": timezone.now(),
                "generic_metadata": metadata,
            },
        )
    measured = Client.objects.get(slug=args.client)
    regions = {
        code: Region.objects.get_or_create(code=code, defaults={"name": name, "countries": countries.split()})[0]
        for code, (name, countries) in REGIONS.items()
    }

    def person(email, roles, client, member_regions=()):
        user, created = User.objects.get_or_create(email=email, defaults={"full_name": email.split("@")[0]})
        if created:
            user.set_password(PASSWORD)
            user.save()
        membership, _ = Membership.objects.get_or_create(user=user, client=client)
        membership.roles.set(Role.objects.for_codes(roles))
        membership.regions.set(member_regions)
        return user

    people = {
        LEGAL: person(LEGAL, [RoleCode.LEGAL], measured),
        MARKETING_EMEA: person(MARKETING_EMEA, [RoleCode.MARKETING], measured, [regions["emea"]]),
        ADMIN: person(ADMIN, [RoleCode.AGENCY_ADMIN], measured),
    }
    colleagues = {
        c.pk: person(
            f"review-colleague-{c.slug}@bench.example", [RoleCode.LEGAL, RoleCode.BRAND, RoleCode.MARKETING], c
        )
        for c in clients
    }

    now = timezone.now()
    inserted = False
    have = Asset.objects.filter(client__in=clients).count()
    if have < args.assets:
        print(f"loading {args.assets - have:,} assets (have {have:,})", flush=True)
        _load_assets(clients, args.assets - have, now)
        inserted = True
    open_tasks = Task.objects.filter(client__in=clients, status="open", run__process_key="asset_approval")
    have_tasks = open_tasks.count()
    if have_tasks < args.tasks:
        started = time.perf_counter()
        added = _load_tasks(clients, args.tasks - have_tasks, people, colleagues, measured.pk, now)
        print(f"loaded {added:,} tasks in {time.perf_counter() - started:.1f} s", flush=True)
        if added < args.tasks - have_tasks:
            print(f"note: only {added:,} assets in review were left without a task", flush=True)
        inserted = inserted or added > 0
    if inserted:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            for table in [
                "assets_asset",
                "assets_licensepurchase",
                "assets_licenseterm",
                "workflows_workflowrun",
                "workflows_task",
            ]:
                cursor.execute(f"VACUUM ANALYZE {table}")
        print(f"VACUUM ANALYZE in {time.perf_counter() - started:.1f} s", flush=True)
    return describe(measured, people, now)


def describe(client, people: dict, now: datetime) -> dict:
    """What the URLs need (a search word, an expiry date, deep keys, an asset) and how selective each filter is."""
    from django.db import connection

    from apps.assets.models import Asset
    from apps.workflows.models import Task

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT w, count(DISTINCT a.id) FROM assets_asset a, regexp_split_to_table(lower(a.name), '[^a-z]+') w "
            "WHERE a.client_id = %s AND length(w) >= 5 GROUP BY w",
            [client.pk],
        )
        words = sorted(cursor.fetchall(), key=lambda row: row[1])
    client_assets = Asset.objects.filter(client=client).count()
    word, word_count = words[len(words) // 2]  # the median word: neither the rarest nor the commonest search
    expiring = (now + timedelta(days=30)).date()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM assets_asset a WHERE a.client_id = %s AND EXISTS (SELECT 1 FROM "
            "assets_licenseterm t JOIN assets_licensepurchase l ON l.id = t.license_purchase_id "
            "WHERE l.asset_id = a.id AND l.state = 'completed' AND (t.valid_until < %s OR t.to_be_used_until < %s))",
            [client.pk, expiring, expiring],
        )
        expiring_count = cursor.fetchone()[0]
    tasks = Task.objects.filter(client=client, status="open")
    detail = tasks.filter(roles_key__contains=",legal,").order_by("id").values_list("run__subject_id", flat=True)[0]
    return {
        "client": client.slug,
        "client_assets": client_assets,
        "assets": Asset.objects.count(),
        "open_tasks": Task.objects.filter(status="open").count(),
        "client_open_tasks": tasks.count(),
        "client_assigned_tasks": tasks.filter(assignee__isnull=False).count(),
        "legal_team_tasks": tasks.filter(roles_key__contains=",legal,", assignee__isnull=True).count(),
        "word": word,
        "word_share": word_count / client_assets,
        "expiring_before": expiring.isoformat(),
        "expiring_share": expiring_count / client_assets,
        "getty_share": Asset.objects.filter(client=client, provider="getty").count() / client_assets,
        "deep_before": Asset.objects.filter(client=client).order_by("id").values_list("id", flat=True)[200],
        "detail_asset": detail,
        "people": {email: user.pk for email, user in people.items()},
    }


# -- measuring ----------------------------------------------------------------------------------------------------
def follow(session, base: str, path: str, label: str, times: int) -> str:
    """The path reached by following the pager link ``label`` ``times`` times from ``path``."""
    for _ in range(times):
        page = session.get(base + path, timeout=30).text
        match = re.search(r'<a class="btn" href="(\?[^"]*)"[^>]*>' + re.escape(label), page)
        if not match:
            break
        path = "/" + path.lstrip("/").split("?")[0] + html.unescape(match.group(1))
    return path


def follow_api(session, base: str, path: str, times: int) -> str:
    """The path of the API list page reached by following ``next`` ``times`` times (cursor pagination)."""
    url = base + path
    for _ in range(times):
        following = session.get(url, timeout=30).json().get("next")
        if not following:
            break
        url = following
    return url.removeprefix(base)


def cases(data: dict, base: str, sessions: dict) -> list[tuple[str, str, str]]:
    """(name, who, path); ``who`` names the session in ``sessions``."""
    word, expiring = data["word"], data["expiring_before"]
    deep_inbox = follow(sessions["legal"], base, "/?tab=team", "Later tasks", 5)
    return [
        ("bare view (baseline)", "anonymous", "/bench/bare/"),
        ("bare view, signed in", "legal", "/bench/bare/"),
        ("inbox: mine (legal)", "legal", "/"),
        ("inbox: team (legal)", "legal", "/?tab=team"),
        ("inbox: team (marketing, EMEA)", "marketing", "/?tab=team"),
        ("inbox: team (agency admin)", "admin", "/?tab=team"),
        ("inbox: team, overdue", "legal", "/?tab=team&due=overdue"),
        ("inbox: team, role=legal", "legal", "/?tab=team&role=legal"),
        (f"inbox: team, q={word}", "legal", f"/?tab=team&q={word}"),
        ("inbox: team, page 6 (after=)", "legal", deep_inbox),
        ("inbox: team, htmx fragment", "legal_htmx", "/?tab=team"),
        ("assets: no filter", "legal", "/assets/"),
        ("assets: status=approved", "legal", "/assets/?status=approved"),
        ("assets: available=true", "legal", "/assets/?available=true"),
        (f"assets: expiring_before={expiring}", "legal", f"/assets/?expiring_before={expiring}"),
        (f"assets: q={word}", "legal", f"/assets/?q={word}"),
        ("assets: provider=getty", "legal", "/assets/?provider=getty"),
        ("assets: deep page (before=)", "legal", f"/assets/?before={data['deep_before']}"),
        (f"assets: htmx fragment, q={word}", "legal_htmx", f"/assets/?q={word}"),
        ("asset page", "legal", f"/assets/{data['detail_asset']}/"),
        ("API assets, available=true", "api", "/api/v1/assets/?available=true"),
        ("API assets, page 1", "api", "/api/v1/assets/"),
        ("API assets, page 300 (cursor)", "api", data["api_deep_page"]),
        ("API tasks, status=open", "api", "/api/v1/tasks/?status=open"),
    ]


def measure_http(args, data: dict) -> tuple[dict, dict, list[str]]:
    import requests

    from apps.accounts.models import User
    from apps.accounts.services import create_api_token

    port = free_port()
    server = start_server(args.database_url, port)
    base = f"http://127.0.0.1:{port}"
    results, paths, notes = {}, {}, []
    try:
        sessions = {
            "anonymous": requests.Session(),
            "legal": login(base, LEGAL, PASSWORD),
            "marketing": login(base, MARKETING_EMEA, PASSWORD),
            "admin": login(base, ADMIN, PASSWORD),
            "api": requests.Session(),
        }
        htmx = requests.Session()
        htmx.cookies.update(sessions["legal"].cookies)
        htmx.headers["HX-Request"] = "true"
        sessions["legal_htmx"] = htmx
        user = User.objects.get(email=LEGAL)
        sessions["api"].headers["Authorization"] = (
            f"Token {create_api_token(user, actor=user, name='bench review', scope='read', expires_days=1).key}"
        )
        data["api_deep_page"] = follow_api(sessions["api"], base, "/api/v1/assets/", 299)
        for name, who, path in cases(data, base, sessions):
            session = sessions[who]
            status = session.get(base + path, timeout=60).status_code
            if status == 404 and path.startswith("/api/"):
                notes.append(f"skipped {name}: {path} answers 404 (no such route yet)")
                print(notes[-1], flush=True)
                continue
            if status != 200:
                notes.append(f"{name}: {path} answers {status}")
                print(notes[-1], flush=True)
            started = time.perf_counter()
            results[name] = measure(session, base + path, args.requests)
            paths[name] = (path, who)
            print(f"  {name}: p50 {results[name]['server_p50']:.1f} ms ({time.perf_counter() - started:.0f} s)")
        if args.load_seconds:
            try:
                notes.extend(held_load(args, data, base, sessions))
            except Exception as exc:  # the sequential figures above still get printed and saved
                notes.append(f"held load failed: {exc!r}")
                print(notes[-1], flush=True)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=10)
    return results, paths, notes


# -- held load (QUALITY.md P2) -------------------------------------------------------------------------------------
def _decidable_tasks(count: int) -> list[int]:
    """Open legal tasks of the measured client nobody holds, newest first (the sequential pages read the oldest)."""
    from apps.accounts.models import User
    from apps.workflows.models import Task

    legal = User.objects.get(email=LEGAL)
    return list(
        Task.objects.visible_to(legal)
        .filter(status="open", assignee__isnull=True, roles_key__contains=",legal,")
        .order_by("-id")
        .values_list("id", flat=True)[:count]
    )


def held_load(args, data: dict, base: str, sessions: dict) -> list[str]:
    """P2: the dashboard mix (lists 60 %, asset pages 25 %, decisions 15 %) sent at ``--load-rate`` requests per
    second for ``--load-seconds``, open loop (a request is sent on schedule whether or not earlier ones returned).
    Reports the rate achieved, server and client p50/p95 per kind, and errors."""
    return [line for rate in args.load_rate for line in _held_load(rate, args.load_seconds, data, base, sessions)]


def _held_load(rate: float, seconds: int, data: dict, base: str, sessions: dict) -> list[str]:
    import threading
    from concurrent.futures import ThreadPoolExecutor

    import requests

    total = int(rate * seconds)
    rng = random.Random(7)
    tasks = iter(_decidable_tasks(int(total * 0.16) + 10))
    lists = ["/?tab=team", "/", f"/?tab=team&q={data['word']}", "/assets/", "/assets/?available=true"]
    details = [f"/assets/{data['detail_asset']}/"]
    cookies = sessions["legal"].cookies
    local = threading.local()

    def session():
        if not hasattr(local, "session"):
            local.session = requests.Session()
            local.session.cookies.update(cookies)
        return local.session

    def one(kind: str, path: str) -> tuple[str, int, float, float | None]:
        started = time.perf_counter()
        http = session()
        try:
            if kind == "decide":
                headers = {"HX-Request": "true", "X-CSRFToken": cookies["csrftoken"], "Referer": base + "/"}
                body = {"outcome": "approved", "reason": "Licence checked (benchmark)"}
                response = http.post(base + path, body, headers=headers, timeout=30)
            else:
                response = http.get(base + path, timeout=30)
        except requests.RequestException:  # a timeout under overload counts as an error, status 0
            return kind, 0, (time.perf_counter() - started) * 1000, None
        took = (time.perf_counter() - started) * 1000
        match = re.search(r"dur=([\d.]+)", response.headers.get("Server-Timing", ""))
        return kind, response.status_code, took, float(match.group(1)) if match else None

    plan = []
    for _ in range(total):
        r = rng.random()
        if r < 0.60:
            plan.append(("list", rng.choice(lists)))
        elif r < 0.85:
            plan.append(("detail", rng.choice(details)))
        else:
            task = next(tasks, None)  # the measured reviewer's open tasks can run out: then a list page instead
            plan.append(("decide", f"/tasks/{task}/decide/") if task else ("list", rng.choice(lists)))
    print(f"held load: {total} requests at {rate:g}/s for {seconds} s (lists 60 %, asset page 25 %, decide 15 %)")
    futures, late = [], 0
    database = os.environ["DATABASE_URL"].rsplit("/", 1)[1]
    cpu_before = harness.cpu_seconds(database)
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=64) as pool:
        for n, (kind, path) in enumerate(plan):
            due = started + n / rate
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            elif wait < -0.05:
                late += 1
            futures.append(pool.submit(one, kind, path))
        outcomes = [future.result() for future in futures]
    elapsed = time.perf_counter() - started
    cpu_after = harness.cpu_seconds(database)
    per_request = {key: (cpu_after[key] - cpu_before[key]) * 1000 / len(outcomes) for key in cpu_before}

    def pct(values, q):
        return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else (values or [0])[0]

    lines = [
        f"held load: {len(outcomes)} requests in {elapsed:.1f} s = {len(outcomes) / elapsed:.1f}/s achieved "
        f"(target {rate:g}/s; {late} sent more than 50 ms late)"
    ]
    for kind in ("list", "detail", "decide"):
        rows = [o for o in outcomes if o[0] == kind]
        if not rows:
            continue
        statuses = sorted({o[1] for o in rows})
        server = [o[3] for o in rows if o[3] is not None]
        client = [o[2] for o in rows]
        errors = sum(1 for o in rows if o[1] >= 400 or o[1] == 0)
        lines.append(
            f"  {kind:<7} n={len(rows):<5} status {statuses} errors {errors}  server p50 {pct(server, 50):.1f} ms "
            f"p95 {pct(server, 95):.1f} ms  client p50 {pct(client, 50):.1f} ms p95 {pct(client, 95):.1f} ms"
        )
    serving = per_request["web"] + per_request["postgres"]
    cores = os.cpu_count() or 1
    lines.append(
        f"  CPU per request: web {per_request['web']:.1f} ms + PostgreSQL {per_request['postgres']:.1f} ms = "
        f"{serving:.1f} ms (load generator {per_request['client']:.1f} ms; whole machine {per_request['machine']:.1f} "
        f"ms) -> {cores} cores serve at most {cores * 1000 / serving:.0f}/s with nothing else running, "
        f"{cores * 1000 / (serving + per_request['client']):.0f}/s beside this load generator"
    )
    for line in lines:
        print(line, flush=True)
    return lines


# -- P4: "rights ending within 7 days" on 1M assets -------------------------------------------------------------
def expiring_within_a_week(client_slug: str) -> list[str]:
    """EXPLAIN ANALYZE of the 7-day lapse query (one client, and all clients as the sweep reads it)."""
    from django.db import connection
    from django.utils import timezone

    from apps.assets.models import Asset

    now = timezone.now()
    week = now + timedelta(days=7)
    lines = []
    for label, queryset in [
        ("one client", Asset.objects.filter(client__slug=client_slug)),
        ("all clients (the code never asks this: the sweep goes client by client)", Asset.objects.all()),
    ]:
        query = (
            queryset.filter(rights_state="valid", rights_until__gte=now, rights_until__lt=week)
            .order_by("rights_until")
            .values_list("id", flat=True)[:50]
        )
        sql, params = query.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
            plan = cursor.fetchone()[0]
            plan = json.loads(plan) if isinstance(plan, str) else plan
        nodes = list(_plan_nodes(plan[0]["Plan"]))
        indexes = sorted({n["Index Name"] for n in nodes if "Index Name" in n})
        seq = sorted({n["Relation Name"] for n in nodes if n["Node Type"] == "Seq Scan"})
        lines.append(
            f"P4 rights ending within 7 days, {label}: {plan[0]['Execution Time']:.2f} ms, "
            f"{plan[0]['Plan'].get('Actual Rows', 0)} rows, indexes {indexes or 'none'}"
            f"{', SEQ SCAN ' + ', '.join(seq) if seq else ''}"
        )
        print(lines[-1], flush=True)
    return lines


# -- why: EXPLAIN and cProfile in-process -------------------------------------------------------------------------
def _test_client(email: str, htmx: bool):
    from django.test import Client as TestClient

    from apps.accounts.models import User

    client = TestClient(HTTP_HOST="localhost", **({"HTTP_HX_REQUEST": "true"} if htmx else {}))
    client.force_login(User.objects.get(email=email))
    return client


def _plan_nodes(node: dict):
    yield node
    for child in node.get("Plans", []):
        yield from _plan_nodes(child)


def explain_page(path: str, email: str, htmx: bool) -> list[dict]:
    """Every SELECT of one request of ``path``, with its EXPLAIN (ANALYZE, BUFFERS) figures and indexes."""
    from django.db import connection

    client = _test_client(email, htmx)
    client.get(path)
    captured = []

    def capture(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            captured.append((sql, params, (time.perf_counter() - started) * 1000))

    with connection.execute_wrapper(capture):
        client.get(path)
    statements = []
    with connection.cursor() as cursor:
        for sql, params, ms in captured:
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql, params)
            plan = cursor.fetchone()[0]
            plan = json.loads(plan) if isinstance(plan, str) else plan
            nodes = list(_plan_nodes(plan[0]["Plan"]))
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            text = "\n".join(row[0] for row in cursor.fetchall())  # before mogrify, which drops the result
            statements.append(
                {
                    "sql": cursor.cursor.mogrify(sql, params) if hasattr(cursor.cursor, "mogrify") else sql,
                    "ms_in_request": ms,
                    "execution_ms": plan[0]["Execution Time"],
                    "planning_ms": plan[0]["Planning Time"],
                    "indexes": sorted({f"{n['Node Type']} on {n['Index Name']}" for n in nodes if "Index Name" in n}),
                    "seq_scans": sorted({n["Relation Name"] for n in nodes if n["Node Type"] == "Seq Scan"}),
                    "rows_removed": sum(n.get("Rows Removed by Filter", 0) * n.get("Actual Loops", 1) for n in nodes),
                    "shared_hit": plan[0]["Plan"].get("Shared Hit Blocks", 0),
                    "shared_read": plan[0]["Plan"].get("Shared Read Blocks", 0),
                    "plan": text,
                }
            )
    return statements


def profile_page(path: str, email: str, htmx: bool, count: int = 30) -> dict:
    """In-process: time per request, the part of it spent in SQL, and the functions that cost the most."""
    from django.db import connection

    client = _test_client(email, htmx)
    for _ in range(5):
        client.get(path)
    sql_ms = [0.0]

    def timed(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            sql_ms[0] += (time.perf_counter() - started) * 1000

    profiler = cProfile.Profile()
    with connection.execute_wrapper(timed):
        started = time.perf_counter()
        for _ in range(count):
            client.get(path)
        plain_ms = (time.perf_counter() - started) * 1000 / count
        sql_plain = sql_ms[0] / count
        profiler.enable()
        for _ in range(count):
            client.get(path)
        profiler.disable()
    stats = pstats.Stats(profiler)
    top = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)[:12]  # by own time
    return {
        "request_ms": plain_ms,
        "sql_ms": sql_plain,
        "top_own_time": [
            {
                "function": f"{Path(file).name}:{line} {func}" if file != "~" else func,
                "ms_per_request": own * 1000 / count,
                "calls_per_request": calls / count,
            }
            for (file, line, func), (_, calls, own, _, _) in top
        ],
    }


def why(results: dict, paths: dict, how_many: int) -> dict:
    emails = {"legal": LEGAL, "legal_htmx": LEGAL, "marketing": MARKETING_EMEA, "admin": ADMIN}
    pages = [name for name in results if not name.startswith(("bare view", "API"))]
    slowest = sorted(pages, key=lambda name: results[name]["server_p50"], reverse=True)[:how_many]
    found = {}
    for name in slowest:
        path, who = paths[name]
        statements = explain_page(path, emails[who], who == "legal_htmx")
        profile = profile_page(path, emails[who], who == "legal_htmx")
        found[name] = {"path": path, "statements": statements, "profile": profile}
        print(f"\n== {name}: {path}")
        print(
            f"in-process {profile['request_ms']:.1f} ms per request, of which SQL {profile['sql_ms']:.1f} ms "
            f"({len(statements)} SELECTs)"
        )
        for s in sorted(statements, key=lambda s: s["execution_ms"], reverse=True)[:4]:
            print(
                f"  {s['execution_ms']:8.2f} ms  indexes: {', '.join(s['indexes']) or '-'}"
                f"{'  seq scan: ' + ', '.join(s['seq_scans']) if s['seq_scans'] else ''}"
                f"  rows removed by filter: {s['rows_removed']:,}"
                f"  buffers hit/read: {s['shared_hit']:,}/{s['shared_read']:,}"
            )
            print("           " + re.sub(r"\s+", " ", str(s["sql"]))[:300])
        worst = max(statements, key=lambda s: s["execution_ms"])
        print("  plan of the slowest statement:")
        print("\n".join("    " + line for line in worst["plan"].splitlines()))
        print("  most own time (cProfile, per request):")
        for f in profile["top_own_time"][:8]:
            print(f"    {f['ms_per_request']:7.2f} ms  {f['calls_per_request']:>9.0f} calls  {f['function']}")
    return found


# -- candidate indexes --------------------------------------------------------------------------------------------
def drop_candidates() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for name in CANDIDATE_INDEXES:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")


def create_candidates() -> dict:
    from django.db import connection

    sizes = {}
    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, statement in CANDIDATE_INDEXES.items():
            started = time.perf_counter()
            cursor.execute(statement)
            cursor.execute("SELECT pg_size_pretty(pg_relation_size(%s::regclass))", [name])
            sizes[name] = {"size": cursor.fetchone()[0], "build_s": round(time.perf_counter() - started, 1)}
            print(f"created {name}: {sizes[name]['size']} in {sizes[name]['build_s']} s", flush=True)
        cursor.execute("ANALYZE assets_asset")
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--assets", type=int, default=1_000_000)
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--client", default="bench-012", help="the client the measured people belong to")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--explain", type=int, default=2, help="EXPLAIN and profile the N slowest pages")
    parser.add_argument("--try-indexes", action="store_true", help="measure with CANDIDATE_INDEXES, then drop them")
    parser.add_argument(
        "--load-rate",
        type=lambda text: [float(rate) for rate in text.split(",")],
        default=[100.0, 30.0],
        help="held load: requests per second, one run per comma-separated rate (P2 asks 100)",
    )
    parser.add_argument("--load-seconds", type=int, default=45, help="held load: duration of each; 0 skips it")
    args = parser.parse_args()
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("The benchmark runs on PostgreSQL (QUALITY.md's anchors are PostgreSQL figures).")

    ensure_database(args.database_url)
    setup_django(args.database_url)
    started = time.perf_counter()
    data = populate(args)
    print(f"data ready in {time.perf_counter() - started:.1f} s", flush=True)
    drop_candidates()
    indexes = {}
    try:
        if args.try_indexes:
            indexes = create_candidates()
        results, paths, notes = measure_http(args, data)
        notes.extend(expiring_within_a_week(data["client"]))
        found = why(results, paths, args.explain) if args.explain else {}
    finally:
        if args.try_indexes:
            drop_candidates()

    baseline = results["bare view (baseline)"]["server_p50"]
    print(
        f"\n{data['assets']:,} assets, {data['open_tasks']:,} open tasks over {args.clients} clients; measured client "
        f"{data['client']}: {data['client_assets']:,} assets, {data['client_open_tasks']:,} open tasks "
        f"({data['legal_team_tasks']:,} unassigned for legal). Search word {data['word']!r} in "
        f"{data['word_share']:.1%} of its assets; rights ending before {data['expiring_before']}: "
        f"{data['expiring_share']:.1%}; getty {data['getty_share']:.0%}."
    )
    print(
        f"{args.requests} sequential requests each, gunicorn 2 sync workers, PostgreSQL on loopback"
        f"{'; with candidate indexes: ' + ', '.join(indexes) if indexes else ''}\n"
    )
    print_table(results, baseline, width=44)
    for note in notes:
        print(note)
    pages = [r for name, r in results.items() if not name.startswith("bare view")]
    deep, first = results.get("API assets, page 300 (cursor)"), results.get("API assets, page 1")
    if deep and first:
        print(f"P3 API cursor page 300 vs page 1: {deep['server_p50'] / first['server_p50']:.2f}x (server p50)")
    over = [name for name, r in results.items() if r in pages and r["server_p95"] > 100]
    print(f"\nover the 100 ms p95 target: {', '.join(over) if over else 'none'}")
    print(f"queries per request: {sorted({q for r in pages for q in r['queries']}, key=int)}")
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (out / f"review-{stamp}.json").write_text(
        json.dumps(
            {"data": data, "indexes": indexes, "results": results, "notes": notes, "explain": found},
            indent=2,
            default=str,
        )
    )
    print(f"written to bench/results/review-{stamp}.json")


if __name__ == "__main__":
    main()
