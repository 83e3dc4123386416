"""Smint.io's platform vocabulary as the built-in tables know it: usage keys and labels, geography regions with
their countries and labels, release states with their labels and what each one means.

Model-free and at the bottom of the layers (docs/architecture.md, "Layers"): the portal's :class:`Vocabulary`
(``apps.assets.vocabulary``, which overlays a client's synced generic metadata and reads keys these tables do not
know) and the clients' policy forms (the uses an approval covers) read it from here; the Smint.io emulator keeps its
own bilingual lists (``apps/emulators/smintio/contract.py``), and a test checks that both agree.

The tables are assumptions ([A]) until partner documentation arrives: Smint.io's vocabulary is not public.
"""

from __future__ import annotations

WORLDWIDE = "geography_worldwide"


def _codes(text: str) -> frozenset[str]:
    return frozenset(text.split())


# ISO-3166 alpha-2 sets. Continents and their parts follow the UN M49 geoscheme; "Europe" is the EEA with
# Switzerland and the United Kingdom (its label says so); EMEA is all of Europe, the Caucasus, the Middle East and
# Africa; the Middle East is Western Asia without Cyprus and the Caucasus, with Egypt.
_EUROPE_EEA_CH_GB = _codes(
    "AT BE BG CH CY CZ DE DK EE ES FI FR GB GR HR HU IE IS IT LI LT LU LV MT NL NO PL PT RO SE SI SK"
)
_EUROPE_REST = _codes("AD AL AX BA BY FO GG GI IM JE MC MD ME MK RS RU SJ SM UA VA")
_CAUCASUS = _codes("AM AZ GE")
_MIDDLE_EAST = _codes("AE BH EG IL IQ IR JO KW LB OM PS QA SA SY TR YE")
_AFRICA = _codes(
    # Northern Africa
    "DZ EG EH LY MA SD TN"
    # Eastern Africa
    " BI DJ ER ET IO KE KM MG MU MW MZ RE RW SC SO SS TF TZ UG YT ZM ZW"
    # Middle Africa
    " AO CD CF CG CM GA GQ ST TD"
    # Southern Africa
    " BW LS NA SZ ZA"
    # Western Africa
    " BF BJ CI CV GH GM GN GW LR ML MR NE NG SH SL SN TG"
)
_ASIA = _codes(
    # Central, Eastern, South-eastern, Southern and Western Asia
    "KG KZ TJ TM UZ"
    " CN HK JP KP KR MN MO TW"
    " BN ID KH LA MM MY PH SG TH TL VN"
    " AF BD BT IN IR LK MV NP PK"
    " AE AM AZ BH CY GE IL IQ JO KW LB OM PS QA SA SY TR YE"
)
_OCEANIA = _codes(
    "AU CC CX HM NF NZ"  # Australia and New Zealand
    " FJ NC PG SB VU"  # Melanesia
    " FM GU KI MH MP NR PW UM"  # Micronesia
    " AS CK NU PF PN TK TO TV WF WS"  # Polynesia
)
_SOUTH_AMERICA = _codes("AR BO BR BV CL CO EC FK GF GS GY PE PY SR UY VE")
_CENTRAL_AMERICA = _codes("BZ CR GT HN MX NI PA SV")
_CARIBBEAN = _codes("AG AI AW BB BL BQ BS CU CW DM DO GD GP HT JM KN KY LC MF MQ MS PR SX TC TT VC VG VI")

REGION_COUNTRIES: dict[str, frozenset[str]] = {
    "geography_europe": _EUROPE_EEA_CH_GB,
    "geography_dach": _codes("DE AT CH"),
    "geography_north_america": _codes("US CA MX"),
    "geography_latin_america": _codes("AR BR CL CO MX PE"),
    "geography_asia_pacific": _codes("AU CN IN JP KR NZ SG"),
    "geography_european_union": _codes(
        "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK"
    ),
    "geography_benelux": _codes("BE LU NL"),
    "geography_nordics": _codes("AX DK FI FO GL IS NO SE SJ"),
    "geography_middle_east": _MIDDLE_EAST,
    "geography_africa": _AFRICA,
    "geography_middle_east_africa": _MIDDLE_EAST | _AFRICA,
    "geography_emea": _EUROPE_EEA_CH_GB | _EUROPE_REST | _CAUCASUS | _MIDDLE_EAST | _AFRICA,
    "geography_asia": _ASIA,
    "geography_oceania": _OCEANIA,
    "geography_south_america": _SOUTH_AMERICA,
    "geography_central_america": _CENTRAL_AMERICA,
    "geography_caribbean": _CARIBBEAN,
}

GEOGRAPHY_LABELS = {
    "geography_worldwide": "Worldwide",
    "geography_europe": "Europe (EEA, CH, GB)",
    "geography_dach": "Germany, Austria, Switzerland",
    "geography_north_america": "North America",
    "geography_latin_america": "Latin America",
    "geography_asia_pacific": "Asia-Pacific",
    "geography_european_union": "European Union",
    "geography_benelux": "Benelux",
    "geography_nordics": "Nordic countries",
    "geography_middle_east": "Middle East",
    "geography_africa": "Africa",
    "geography_middle_east_africa": "Middle East and Africa",
    "geography_emea": "Europe, Middle East and Africa",
    "geography_asia": "Asia",
    "geography_oceania": "Oceania",
    "geography_south_america": "South America",
    "geography_central_america": "Central America",
    "geography_caribbean": "Caribbean",
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


# ``release_details.model_release_state`` / ``property_release_state`` keys (Smint.io's ``release_states`` list):
# given (a release exists or none is needed), missing, or known to be unknown.
GIVEN, MISSING, UNKNOWN = "given", "missing", "unknown"
RELEASE_GIVEN = frozenset({"release_state_released", "release_state_not_required", "release_state_not_applicable"})
RELEASE_MISSING = "release_state_not_released"
RELEASE_UNKNOWN = frozenset({"release_state_unknown"})
RELEASE_LABELS = {
    "release_state_released": "Released",
    "release_state_not_released": "Not released",
    "release_state_not_required": "Not required",
    "release_state_not_applicable": "Not applicable",
    "release_state_unknown": "Unknown",
}
