"""Licences and terms attached to assets as ``prefetch_related("license_purchases__terms")`` leaves them, in two
plain statements.

Django's prefetch builds and filters a queryset per asset and per licence to hold their rows (about 100 clones for a
page of 50 assets, each copying the query's state): on the inbox that cost more CPU than reading the rows. Here the
rows are read once and grouped in Python; ``asset.license_purchases.all()`` and ``lpt.terms.all()`` then answer from
what is attached, without a query, as after a prefetch.
"""

from __future__ import annotations

from collections import defaultdict
from types import SimpleNamespace

from django.db.models import QuerySet

from .models import LicensePurchase, LicenseTerm


def answered(model, rows: list) -> QuerySet:
    """A queryset of ``model`` that is already evaluated to ``rows`` (what a prefetch stores per object)."""
    cached = QuerySet(model=model)
    cached._result_cache, cached._prefetch_done = rows, True
    return cached


def with_licences(assets, *, licences: QuerySet | None = None, terms: QuerySet | None = None) -> list:
    """``assets`` with their licences (from ``licences``, default all columns) and each licence's terms attached."""
    assets = list(assets)
    licences = licences if licences is not None else LicensePurchase.objects.all()
    terms = terms if terms is not None else LicenseTerm.objects.all()
    found = list(licences.filter(asset_id__in=[asset.pk for asset in assets])) if assets else []
    terms_of = defaultdict(list)
    for term in terms.filter(license_purchase_id__in=[lpt.pk for lpt in found]) if found else []:
        terms_of[term.license_purchase_id].append(term)
    licences_of = defaultdict(list)
    for lpt in found:
        lpt._prefetched_objects_cache = {"terms": answered(LicenseTerm, terms_of[lpt.pk])}
        licences_of[lpt.asset_id].append(lpt)
    for asset in assets:
        asset._prefetched_objects_cache = {
            **getattr(asset, "_prefetched_objects_cache", {}),
            "license_purchases": answered(LicensePurchase, licences_of[asset.pk]),
        }
    return assets


def plain_with_licences(assets: QuerySet, *, licences: QuerySet, terms: QuerySet) -> dict[int, SimpleNamespace]:
    """``assets`` (a ``values()`` queryset with ``id``) as plain objects by id, each with ``licence_list``: its
    licences (``licences``: ``values()`` with ``id`` and ``asset_id``), each with ``term_list`` (``terms``: ``values()``
    with ``license_purchase_id``), in the models' order. That is what ``rights`` reads (its ``_licences_of`` and
    ``_terms_of``) without a model instance: an inbox page of 50 approvals built ~300 of them, more CPU than reading
    their rows."""
    found = {row["id"]: SimpleNamespace(**row, licence_list=[]) for row in assets}
    of_id = {}
    for row in licences.filter(asset_id__in=list(found)) if found else []:
        licence = of_id[row["id"]] = SimpleNamespace(**row, term_list=[])
        found[row["asset_id"]].licence_list.append(licence)
    for row in terms.filter(license_purchase_id__in=list(of_id)) if of_id else []:
        of_id[row["license_purchase_id"]].term_list.append(SimpleNamespace(**row))
    return found
