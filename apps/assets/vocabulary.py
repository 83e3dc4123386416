"""How Smint.io's licence vocabulary keys are read ([A]: platforms.md 1.1 verifies the list fields, not the keys).

Single-country geography keys end in the ISO-3166 alpha-2 code (``geography_germany_de``); region keys are listed
below with their countries; ``geography_worldwide`` covers every country. Labels come from the connection's generic
metadata when synced; otherwise the key is made readable. Replace this module's data when partner documentation
arrives; the rights evaluation reads nothing else.
"""

from __future__ import annotations

WORLDWIDE = "geography_worldwide"

REGION_COUNTRIES: dict[str, frozenset[str]] = {
    "geography_europe": frozenset(
        [
            "AT",
            "BE",
            "BG",
            "CH",
            "CY",
            "CZ",
            "DE",
            "DK",
            "EE",
            "ES",
            "FI",
            "FR",
            "GB",
            "GR",
            "HR",
            "HU",
            "IE",
            "IS",
            "IT",
            "LI",
            "LT",
            "LU",
            "LV",
            "MT",
            "NL",
            "NO",
            "PL",
            "PT",
            "RO",
            "SE",
            "SI",
            "SK",
        ]
    ),
    "geography_dach": frozenset({"DE", "AT", "CH"}),
    "geography_north_america": frozenset({"US", "CA", "MX"}),
    "geography_latin_america": frozenset({"AR", "BR", "CL", "CO", "MX", "PE"}),
    "geography_asia_pacific": frozenset({"AU", "CN", "IN", "JP", "KR", "NZ", "SG"}),
}

EDITORIAL_USAGE = "usage_editorial"
USAGES = {
    "usage_web": "Web",
    "usage_print": "Print",
    "usage_social_media": "Social media",
    "usage_advertising": "Advertising",
    "usage_editorial": "Editorial",
    "usage_broadcast": "Broadcast",
    "usage_internal": "Internal communication",
    "usage_packaging": "Packaging",
    "usage_out_of_home": "Out of home",
}


# Uses that need a model or property release when people or property are shown [A]: promotional use of a likeness
# (Smint.io's own comment on a missing release: "do not use for advertising"). Editorial and plain web or internal
# use do not. Widen this set when a client's policy says so; the evaluation reads nothing else.
RELEASE_USAGES = frozenset({"usage_advertising", "usage_out_of_home", "usage_packaging"})

# ``release_details.model_release_state`` / ``property_release_state`` keys (Smint.io's ``release_states`` list).
RELEASE_GIVEN = frozenset({"release_state_released", "release_state_not_required"})
RELEASE_MISSING = "release_state_not_released"  # anything else (``release_state_unknown``, null) is unknown


def usage_key(value: str) -> str | None:
    """``web``, ``usage_web`` or ``Social-Media`` → the Smint.io usage key; ``None`` for a usage we do not know."""
    value = value.strip().lower().replace("-", "_").replace(" ", "_")
    for key in (value, f"usage_{value}"):
        if key in USAGES:
            return key
    return None


def countries_of(key: str) -> frozenset[str] | None:
    """The countries a geography key covers: ``None`` for worldwide, an empty set for a key we cannot read."""
    if key == WORLDWIDE:
        return None
    if key in REGION_COUNTRIES:
        return REGION_COUNTRIES[key]
    suffix = key.rsplit("_", 1)[-1]
    return frozenset({suffix.upper()}) if len(suffix) == 2 and suffix.isalpha() else frozenset()


def covers(keys: list[str], country: str) -> bool:
    return any((found := countries_of(key)) is None or country in found for key in keys)


def unreadable(keys: list[str]) -> list[str]:
    """The geography keys we cannot map to countries: the licence may or may not cover a country through them."""
    return [key for key in keys if countries_of(key) == frozenset()]


GEOGRAPHY_LABELS = {
    "geography_worldwide": "Worldwide",
    "geography_europe": "Europe (EEA, CH, GB)",
    "geography_dach": "Germany, Austria, Switzerland",
    "geography_north_america": "North America",
    "geography_latin_america": "Latin America",
    "geography_asia_pacific": "Asia-Pacific",
}


def readable(key: str, labels: dict[str, str] | None = None) -> str:
    """``geography_united_kingdom_gb`` → "United kingdom" (from the synced vocabulary when there is one)."""
    if labels and key in labels:
        return labels[key]
    if key in USAGES:
        return USAGES[key]
    if key in GEOGRAPHY_LABELS:
        return GEOGRAPHY_LABELS[key]
    words = key.split("_")[1:]
    if len(words) > 1 and len(words[-1]) == 2 and key.startswith("geography_"):
        words = words[:-1]
    return " ".join(words).capitalize() or key
