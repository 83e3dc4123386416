"""JSON documents in and out of the emulator, in the shapes of platforms.md 1.1 and 5.1.

Rendering is separate from storage so the change log can keep plain snapshots (no host names) and the routes add
request-relative URLs (previews, downloads) when they answer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from . import contract
from .errors import ApiError
from .models import Binary, ContentElement, LicensePurchaseTransaction, UsageEvent, WorkflowStatusRecord

PREVIEW_WIDTH = 640
PREVIEW_HEIGHT = 427


def iso(value: dt.datetime | None) -> str | None:
    """ISO-8601 in UTC with a ``Z`` suffix and whole seconds, the wire format of every date."""
    if value is None:
        return None
    return value.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def parse_iso(value: Any, field: str) -> dt.datetime:
    """An aware datetime from an ISO-8601 string; a naive one is taken as UTC. 400 when it does not parse."""
    parsed = parse_datetime(value) if isinstance(value, str) else None
    if parsed is None:
        raise ApiError(400, contract.ERR_INVALID_REQUEST, f"{field} must be an ISO-8601 date-time.")
    if timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed


def localized(en: str, de: str | None = None) -> list[dict]:
    """A localized string: ``[{culture, value}]``."""
    values = [{"culture": "en", "value": en}]
    if de is not None:
        values.append({"culture": "de", "value": de})
    return values


def localized_elements(items: Iterable[tuple[str, str]], culture: str = "en") -> list[dict]:
    """A localized metadata element list: ``[{culture, metadata_element: {key, name}}]``."""
    return [{"culture": culture, "metadata_element": {"key": key, "name": name}} for key, name in items]


def generic_metadata() -> dict:
    """The 15 vocabularies of SyncGenericMetadata, each key listed once per culture."""
    document = {}
    for field, vocabulary in contract.GENERIC_METADATA.items():
        entries = []
        for key, names in vocabulary.items():
            for culture, name in zip(contract.CULTURES, names, strict=True):
                entries.append({"culture": culture, "metadata_element": {"key": key, "name": name}})
        document[field] = entries
    return document


# --- Snapshots and rendering ----------------------------------------------------------------------------------


def element_document(element: ContentElement) -> dict:
    """The ``content_element`` object without previews (they depend on the host answering)."""
    return {"uuid": element.uuid, "provider": element.provider, **element.data}


def lpt_document(lpt: LicensePurchaseTransaction) -> dict:
    """The full LPT as the change log stores it at the moment of a change."""
    return {
        "uuid": lpt.uuid,
        "cart_purchase_transaction_uuid": lpt.cart_purchase_transaction_uuid,
        "state": lpt.state,
        **lpt.data,
        "content_element": element_document(lpt.content_element),
        "version": lpt.version,
        "created_at": iso(lpt.created_at),
        "last_updated_at": iso(lpt.last_updated_at),
    }


def render_lpt(snapshot: dict, preview_url: Callable[[str], str]) -> dict:
    """A stored snapshot with the element's preview links filled in for this host."""
    element = dict(snapshot["content_element"])
    element["previews"] = [
        {
            "url": preview_url(element["uuid"]),
            "width": PREVIEW_WIDTH,
            "height": PREVIEW_HEIGHT,
            "content_type": "image/svg+xml",
        }
    ]
    return {**snapshot, "content_element": element}


def binary_document(binary: Binary, download_url: str) -> dict:
    """A SyncBinary; ``version`` is always present (the SDK reads absent as 1)."""
    return {"uuid": binary.uuid, **binary.data, "download_url": download_url, "version": binary.version}


def usage_event_document(event: UsageEvent) -> dict:
    return {
        "uuid": str(event.uuid),
        "content_element_uuid": event.content_element.uuid,
        "license_purchase_transaction_uuid": event.lpt.uuid if event.lpt_id else None,
        "event": event.event,
        "user_uuid": event.user_uuid,
        "user_email": event.user_email,
        "occurred_at": iso(event.occurred_at),
        "country": event.country,
        "channel": event.channel,
    }


def workflow_status_document(record: WorkflowStatusRecord) -> dict:
    """The 200 answer of a workflow-status PUT (platforms.md 5.1)."""
    return {
        "content_element_uuid": record.content_element.uuid,
        "status": record.status,
        "version": record.version,
        "updated_at": iso(record.created_at),
    }


def workflow_history_document(record: WorkflowStatusRecord) -> dict:
    """Everything the portal sent for one version, for tests reading it back."""
    return {
        **workflow_status_document(record),
        "reason": record.reason,
        "decided_at": iso(record.decided_at),
        "decided_by": record.decided_by,
        "workflow_reference": record.workflow_reference,
        "restrictions": record.restrictions,
        "idempotency_key": record.idempotency_key,
    }


def metadata_document(element: ContentElement) -> dict:
    """The 200 answer of a metadata PATCH: the element's editable metadata and its version."""
    return {
        "content_element_uuid": element.uuid,
        **{field: element.data.get(field) for field in contract.METADATA_FIELDS},
        "version": element.metadata_version,
        "updated_at": iso(element.updated_at),
    }


# --- Defaults for crafted records -----------------------------------------------------------------------------


def default_element_data(now: dt.datetime) -> dict:
    """A complete, unremarkable content element; control routes overlay what a test specifies."""
    return {
        "content_type": "image",
        "content_category": "creative",
        "name": localized("Untitled asset"),
        "description": localized(""),
        "keywords": [],
        "categories": [],
        "contributors": [],
        "copyright_notices": [],
        "provider_urls": [],
        "image_details": {"width": 6000, "height": 4000},
        "is_editorial_use": None,
        "is_editorial": False,
        "is_premium": False,
        "is_ai": None,
        "release_details": None,
        "usage_rules": None,
        "access": None,
        "created_at": iso(now),
    }


def default_term(sequence_number: int) -> dict:
    """A worldwide, open-ended licence term; crafted LPTs without terms get one."""
    return {
        "sequence_number": sequence_number,
        "name": localized("Standard licence", "Standardlizenz"),
        "exclusivities": ["exclusivity_none"],
        "allowed_usages": ["usage_web", "usage_print", "usage_social_media"],
        "restricted_usages": [],
        "allowed_sizes": ["size_original"],
        "restricted_sizes": [],
        "allowed_placements": [],
        "restricted_placements": [],
        "allowed_distributions": ["distribution_unlimited"],
        "restricted_distributions": [],
        "allowed_geographies": ["geography_worldwide"],
        "restricted_geographies": [],
        "allowed_industries": [],
        "restricted_industries": [],
        "allowed_languages": [],
        "restricted_languages": [],
        "usage_limits": ["usage_limit_none"],
        "valid_from": None,
        "valid_until": None,
        "to_be_used_until": None,
        "is_editorial_use": None,
    }


def default_lpt_data(now: dt.datetime) -> dict:
    """Every LPT field of platforms.md 1.1 that is not a column; nullable booleans stay null."""
    return {
        "reused_license_purchase_transaction_uuid": None,
        "project_uuid": None,
        "project_name": localized("Emulator project"),
        "collection_uuid": None,
        "collection_name": localized("Emulator collection"),
        "licensee_uuid": None,
        "licensee_name": "Emulator licensee",
        "purchased_at": iso(now),
        "completed_at": iso(now),
        "purchased_by_user_uuid": None,
        "purchased_by_user_name": "Emulator buyer",
        "total_price_eur": 0,
        "total_price_usd": 0,
        "offering": {
            "license_uuid": None,
            "license_type": "royalty_free",
            "offering_uuid": None,
            "offering_name": localized("Standard"),
            "contract_uuid": None,
            "contract_name": localized("Emulator contract"),
            "provider_configuration_uuid": None,
            "media_type": "image",
            "size": "size_original",
            "format": "svg",
            "resolution": None,
            "license_urls": [],
            "is_editorial_use": None,
            "price_eur": 0,
            "price_usd": 0,
            "has_options": False,
            "options": [],
        },
        "license_text": {
            "effective_text": localized("Licensed through the Smint.io emulator."),
            "effective_text_is_safe_html": False,
        },
        "license_terms": [],
        "license_download_constraints": {
            "effective_max_downloads": None,
            "effective_max_users": None,
            "effective_max_reuses": None,
        },
        "current_downloads": 0,
        "current_users": 0,
        "current_reuses": 0,
        "has_potentially_restrictive_license_terms": None,
        "can_be_synced": True,
    }


def default_binary_data(element_name: str, index: int) -> dict:
    return {
        "content_type": "image",
        "binary_type": "binary_type_master" if index == 0 else "binary_type_variant",
        "name": localized(element_name if index == 0 else f"{element_name} (variant {index})"),
        "description": localized(""),
        "usage": localized("Master file" if index == 0 else "Variant for layouts"),
        "recommended_file_name": f"{_file_stem(element_name)}{'' if index == 0 else f'-{index}'}.svg",
        "culture": "en",
    }


def _file_stem(name: str) -> str:
    stem = "".join(ch.lower() if ch.isalnum() else "-" for ch in name).strip("-")
    while "--" in stem:
        stem = stem.replace("--", "-")
    return stem[:80] or "asset"


# --- Write-back bodies (platforms.md 5.1) ---------------------------------------------------------------------


def _invalid(message: str) -> ApiError:
    return ApiError(400, contract.ERR_INVALID_REQUEST, message)


def _string_list(value: Any, field: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _invalid(f"{field} must be a list of strings.")
    return value


def clean_workflow_status(body: Any) -> dict:
    """The validated body of a workflow-status PUT; 400 names the first problem."""
    if not isinstance(body, dict):
        raise _invalid("The body must be a JSON object.")
    unknown = set(body) - {*contract.WORKFLOW_REQUIRED_FIELDS, "reason", "restrictions"}
    if unknown:
        raise _invalid(f"Unknown fields: {', '.join(sorted(unknown))}.")
    missing = [field for field in contract.WORKFLOW_REQUIRED_FIELDS if body.get(field) in (None, "")]
    if missing:
        raise _invalid(f"Missing fields: {', '.join(missing)}.")
    if body["status"] not in contract.WORKFLOW_STATUSES:
        raise _invalid(f"status must be one of {', '.join(contract.WORKFLOW_STATUSES)}.")
    for field in ("decided_by", "workflow_reference"):
        if not isinstance(body[field], str):
            raise _invalid(f"{field} must be a string.")
    if "@" not in body["decided_by"]:
        raise _invalid("decided_by must be an e-mail address.")
    reason = body.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise _invalid("reason must be a string or null.")
    return {
        "status": body["status"],
        "reason": reason,
        "decided_at": parse_iso(body["decided_at"], "decided_at"),
        "decided_by": body["decided_by"],
        "workflow_reference": body["workflow_reference"],
        "restrictions": _clean_restrictions(body.get("restrictions")),
    }


def _clean_restrictions(value: Any) -> dict | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _invalid("restrictions must be an object or null.")
    unknown = set(value) - set(contract.RESTRICTION_FIELDS)
    if unknown:
        raise _invalid(f"Unknown restriction fields: {', '.join(sorted(unknown))}.")
    cleaned: dict[str, Any] = {}
    for field in ("geographies", "usages"):
        if value.get(field) is not None:
            cleaned[field] = _string_list(value[field], f"restrictions.{field}")
    if value.get("valid_until") is not None:
        cleaned["valid_until"] = iso(parse_iso(value["valid_until"], "restrictions.valid_until"))
    return {field: cleaned.get(field) for field in contract.RESTRICTION_FIELDS}


def _localized_strings(value: Any, field: str) -> list[dict]:
    ok = isinstance(value, list) and all(
        isinstance(item, dict) and isinstance(item.get("culture"), str) and isinstance(item.get("value"), str)
        for item in value
    )
    if not ok:
        raise _invalid(f"{field} must be a list of {{culture, value}}.")
    return [{"culture": item["culture"], "value": item["value"]} for item in value]


def _localized_elements(value: Any, field: str) -> list[dict]:
    """Keywords and categories: ``[{culture, metadata_element: {key, name}}]``; ``{culture, value}`` is accepted
    too and becomes an element whose key and name are the value."""
    if not isinstance(value, list):
        raise _invalid(f"{field} must be a list.")
    cleaned = []
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("culture"), str):
            raise _invalid(f"Each of {field} needs a culture.")
        element = item.get("metadata_element")
        if isinstance(element, dict) and isinstance(element.get("key"), str):
            name = element.get("name", element["key"])
            cleaned.append({"culture": item["culture"], "metadata_element": {"key": element["key"], "name": name}})
        elif isinstance(item.get("value"), str):
            cleaned.append(
                {"culture": item["culture"], "metadata_element": {"key": item["value"], "name": item["value"]}}
            )
        else:
            raise _invalid(f"Each of {field} needs a metadata_element {{key, name}} or a value.")
    return cleaned


def _access(value: Any) -> dict:
    if not isinstance(value, dict) or set(value) - {"groups", "visibility"}:
        raise _invalid("access must be an object with groups and visibility.")
    visibility = value.get("visibility")
    if visibility not in contract.METADATA_VISIBILITIES:
        raise _invalid(f"access.visibility must be one of {', '.join(contract.METADATA_VISIBILITIES)}.")
    return {"groups": _string_list(value.get("groups", []), "access.groups"), "visibility": visibility}


def clean_metadata_patch(body: Any) -> dict:
    """The validated fields of a metadata PATCH; at least one editable field, nothing else."""
    if not isinstance(body, dict) or not body:
        raise _invalid("The body must be a JSON object with at least one field.")
    unknown = set(body) - set(contract.METADATA_FIELDS)
    if unknown:
        raise _invalid(f"Unknown fields: {', '.join(sorted(unknown))}.")
    cleaners: dict[str, Callable[[Any], Any]] = {
        "name": lambda v: _localized_strings(v, "name"),
        "description": lambda v: _localized_strings(v, "description"),
        "usage_rules": lambda v: _localized_strings(v, "usage_rules"),
        "keywords": lambda v: _localized_elements(v, "keywords"),
        "categories": lambda v: _localized_elements(v, "categories"),
        "access": _access,
    }
    return {field: cleaners[field](value) for field, value in body.items()}
