"""A client's required metadata (``Client.required_metadata_fields``) read on an asset: which fields it lacks.

Read by exception detection (flow 4, the ``metadata`` cause) and by onboarding's ingest checks (flow 6), so both
judge a field the same way. The names are read through ``FIELDS`` (``title``/``name``, ``description``,
``keywords``, ``categories``, ``copyright``...); another name is looked up in the synced content element (a dotted
path, ``release_details.model_release_state``), and a name the element does not carry at all is not judged
(unknown is not missing, invariant 5).
"""

from __future__ import annotations

# Required-field names as clients write them -> how the asset carries them (a model field or a content element path)
FIELDS: dict[str, tuple[str, str]] = {
    "title": ("field", "name"),
    "name": ("field", "name"),
    "description": ("field", "description"),
    "keywords": ("field", "keywords"),
    "copyright": ("field", "copyright_notices"),
    "copyright_notice": ("field", "copyright_notices"),
    "copyright_notices": ("field", "copyright_notices"),
    "categories": ("metadata", "categories"),
    "model_release": ("metadata", "release_details.model_release_state"),
    "property_release": ("metadata", "release_details.property_release_state"),
}
FIELD_LABELS = {
    "name": "name",
    "description": "description",
    "keywords": "keywords",
    "copyright_notices": "copyright notice",
    "categories": "categories",
}


def path(data, dotted: str):
    """``(found, value)`` of a dotted path in the content element; ``found`` is False when a step is absent."""
    value = data
    for step in dotted.split("."):
        if not isinstance(value, dict) or step not in value:
            return False, None
        value = value[step]
    return True, value


def empty(value) -> bool:
    if isinstance(value, str):
        return not value.strip()
    return value is None or value == [] or value == {} or value == "release_state_unknown"


def missing_fields(asset, required: list[str]) -> list[str]:
    """The required fields ``asset`` lacks, as readable names (each once)."""
    missing: list[str] = []
    for name in required:
        where, attribute = FIELDS.get(name.lower(), ("metadata", name))
        if where == "field":
            value = getattr(asset, attribute)
        else:
            found, value = path(asset.metadata or {}, attribute)
            if not found:
                continue  # the element does not carry it: unknown, not missing
        label = FIELD_LABELS.get(attribute, name.replace("_", " "))
        if empty(value) and label not in missing:
            missing.append(label)
    return missing
