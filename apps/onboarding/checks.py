"""The ingest checks of an onboarding (flow 6), run once when it starts and recorded on it (``Onboarding.checks``)
and in the run's variables (``checksFailed``): what the content manager sees first on the enrichment task.

Each check says passed or not, and why, in words. A failed check does not stop the onboarding: people decide
(enrich what is missing, reject a duplicate); the enrichment refuses to go on while required metadata is missing.

- ``binary``: the asset has a file at Smint.io and its download URL answers (a HEAD request, short timeout: the
  checks run in the worker after a pull, never in a page's request);
- ``type``: its content type is known, and an image's dimensions are read (``image_details``);
- ``metadata``: the client's ``required_metadata_fields`` are present (``apps.assets.required``, read as exception
  detection reads them);
- ``duplicate``: no other asset of the client has the same name (case-insensitive) or the same checksum (an
  element's ``checksum``, when the DAM sends one, an [A] of the Smint.io contract);
- ``rights``: a licence with terms, or a known rights state.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass

import requests
from django.db.models import Q

from apps.assets.choices import RightsState
from apps.assets.models import Asset, Binary, LicenseTerm
from apps.assets.required import missing_fields

logger = logging.getLogger(__name__)
TIMEOUT = 5
LABELS = {
    "binary": "File present and downloadable",
    "type": "Type and dimensions read",
    "metadata": "Required metadata present",
    "duplicate": "Not a likely duplicate",
    "rights": "Rights information present",
}


@dataclass
class Check:
    check: str
    passed: bool
    detail: str

    @property
    def label(self) -> str:
        return LABELS[self.check]


def _binary(asset: Asset) -> Check:
    binary = (
        Binary.objects.filter(license_purchase__asset=asset)
        .exclude(download_url="")
        .order_by("binary_type", "pk")  # binary_type_master sorts before layout and variant
        .first()
    )
    if binary is None:
        return Check("binary", False, "Smint.io lists no file for this asset.")
    try:
        answer = requests.head(binary.download_url, timeout=TIMEOUT, allow_redirects=True)
    except requests.RequestException as exc:
        logger.info("Onboarding check: the file of asset %s did not answer (%s)", asset.pk, type(exc).__name__)
        return Check("binary", False, f"The file {binary} could not be reached.")
    if answer.status_code >= 400:
        return Check("binary", False, f"The file {binary} answered {answer.status_code}: not downloadable.")
    return Check("binary", True, f"{binary} is downloadable.")


def _type(asset: Asset) -> Check:
    kind = asset.content_type
    if not kind:
        return Check("type", False, "The content type is not known.")
    if kind != "image":
        return Check("type", True, f"A {kind}.")
    details = (asset.metadata or {}).get("image_details") or {}
    width, height = details.get("width"), details.get("height")
    if not (isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0):
        return Check("type", False, "An image whose dimensions are not known.")
    return Check("type", True, f"An image of {width} by {height} pixels.")


def _metadata(asset: Asset) -> Check:
    missing = missing_fields(asset, list(asset.client.required_metadata_fields or []))
    if missing:
        return Check("metadata", False, f"Missing: {', '.join(missing)}.")
    return Check("metadata", True, "Every required field is filled in.")


def duplicates_of(asset: Asset) -> list[Asset]:
    same = Q()
    if asset.name.strip():
        same |= Q(name__iexact=asset.name.strip())
    checksum = (asset.metadata or {}).get("checksum")
    if checksum:
        same |= Q(metadata__checksum=checksum)
    if not same:
        return []
    return list(Asset.objects.filter(same, client_id=asset.client_id).exclude(pk=asset.pk).order_by("pk")[:5])


def _duplicate(asset: Asset) -> Check:
    others = duplicates_of(asset)
    if others:
        names = ", ".join(f"{other.name or other.content_element_uuid} (#{other.pk})" for other in others)
        return Check("duplicate", False, f"Likely a duplicate of {names}.")
    return Check("duplicate", True, "No other asset has this name or checksum.")


def _rights(asset: Asset) -> Check:
    if LicenseTerm.objects.filter(license_purchase__asset=asset).exists():
        return Check("rights", True, "The licence carries its terms.")
    if asset.rights_state != RightsState.UNKNOWN:
        return Check("rights", True, f"Rights: {asset.get_rights_state_display().lower()}.")
    return Check("rights", False, "No licence terms: the rights are not known.")


def run(asset: Asset) -> list[dict]:
    """Every check on ``asset``, as recorded (``[{check, label, passed, detail}]``)."""
    results = [_binary(asset), _type(asset), _metadata(asset), _duplicate(asset), _rights(asset)]
    return [{**asdict(result), "label": result.label} for result in results]
