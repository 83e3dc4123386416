"""How Smint.io's licence vocabulary keys are read ([A]: platforms.md 1.1 verifies the list fields, not the keys).

A :class:`Vocabulary` reads keys in this order (docs/rights.md, "How keys are read"):

1. the built-in tables (region countries, release-state classes, labels; :mod:`apps.common.smintio_vocabulary`,
   imported here) for the keys they know;
2. the client's Smint.io generic metadata (``SmintioConnection.generic_metadata``, refreshed by every full sync):
   labels for every key it lists (English preferred), release states it lists classified by their English name,
   geographies it lists named like a country mapped to that country;
3. the key itself: a single-country geography key ends in its ISO-3166 alpha-2 code (``geography_germany_de``); a
   key read by none of these is *unreadable*, which the rights evaluation reports as unknown, naming the key (and
   its label when the metadata gives one), never as forbidden.

The built-in tables are assumptions until partner documentation arrives: Smint.io's vocabulary is not public.
``DEFAULT`` is the built-in vocabulary alone; :func:`vocabulary_for` gives a client's. The module-level functions
(``countries_of``, ``covers``, ``unreadable``, ``readable``, ``usage_key``) read ``DEFAULT``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache

# The built-in tables; callers read them as ``vocabulary.USAGES``, ``vocabulary.EDITORIAL_USAGE``, ...
from apps.common.smintio_vocabulary import EDITORIAL_USAGE as EDITORIAL_USAGE
from apps.common.smintio_vocabulary import (
    GEOGRAPHY_LABELS,
    GIVEN,
    MISSING,
    REGION_COUNTRIES,
    RELEASE_GIVEN,
    RELEASE_LABELS,
    RELEASE_MISSING,
    RELEASE_UNKNOWN,
    UNKNOWN,
    USAGES,
    WORLDWIDE,
)

# Uses that need a model or property release when people or property are shown [A]: promotional use of a likeness
# (Smint.io's own comment on a missing release: "do not use for advertising"). Editorial and plain web or internal
# use do not. Widen this set when a client's policy says so; the evaluation reads nothing else.
RELEASE_USAGES = frozenset({"usage_advertising", "usage_out_of_home", "usage_packaging"})

# A release-state key the built-in tables do not know is classified by its English name in the metadata (lower
# case, words only, a leading or trailing "release" dropped); a name not listed here leaves the state unknown.
RELEASE_NAMES = {
    "released": GIVEN,
    "not required": GIVEN,
    "not applicable": GIVEN,
    "n a": GIVEN,
    "not released": MISSING,
    "missing": MISSING,
}
_WORLDWIDE_NAMES = frozenset({"worldwide", "world", "global", "whole world", "all countries"})


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.casefold()).split())


@cache
def _iso_names() -> dict[str, str]:
    """ISO-3166 codes by their English names (official, common and former ones), normalized with :func:`_words`."""
    from django.utils import translation
    from django_countries import Countries
    from django_countries.data import COUNTRIES

    names: dict[str, str] = {}
    with translation.override("en"):
        for code, name in COUNTRIES.items():
            names[_words(str(name))] = code
    for code, name in Countries.COMMON_NAMES.items():
        names[_words(str(name))] = code
    for code, olds in Countries.OLD_NAMES.items():
        for name in olds:
            names.setdefault(_words(str(name)), code)
    names.update({"united states": "US", "usa": "US", "great britain": "GB", "south korea": "KR"})
    return names


@cache
def _iso_codes() -> frozenset[str]:
    from django_countries.data import COUNTRIES

    return frozenset(COUNTRIES)


def _name_of(element: Mapping) -> str:
    """A metadata element's name: a string, or a localized list ``[{culture, value}]`` (English preferred)."""
    name = element.get("name")
    if isinstance(name, list):
        values = {str(item.get("culture") or ""): item.get("value") for item in name if isinstance(item, Mapping)}
        name = _preferred(values)
    return name.strip() if isinstance(name, str) else ""


def _preferred(by_culture: Mapping[str, str | None]) -> str | None:
    """The English value (``en``, then ``en-*``), else the first one given."""
    for culture, value in by_culture.items():
        if culture.lower() == "en" and value:
            return value
    for culture, value in by_culture.items():
        if culture.lower().startswith("en") and value:
            return value
    return next((value for value in by_culture.values() if value), None)


def _english(by_culture: Mapping[str, str | None]) -> str | None:
    english = {culture: value for culture, value in by_culture.items() if culture.lower().startswith("en")}
    return _preferred(english) if english else None


def read_generic_metadata(metadata) -> dict[str, dict[str, dict[str, str]]]:
    """``{list name: {key: {culture: name}}}`` from SyncGenericMetadata (``{license_usages: [{culture,
    metadata_element: {key, name}}, ...], ...}``); whatever is not in that shape is skipped."""
    found: dict[str, dict[str, dict[str, str]]] = {}
    if not isinstance(metadata, Mapping):
        return found
    for list_name, entries in metadata.items():
        if not isinstance(entries, list):
            continue
        keys = found.setdefault(str(list_name), {})
        for entry in entries:
            if not isinstance(entry, Mapping):
                continue
            element = entry.get("metadata_element", entry)
            if not isinstance(element, Mapping) or not isinstance(element.get("key"), str) or not element["key"]:
                continue
            names = keys.setdefault(element["key"], {})
            name = _name_of(element)
            if name:
                names.setdefault(str(entry.get("culture") or element.get("culture") or ""), name)
    return found


@dataclass(frozen=True, eq=False)
class Vocabulary:
    """The built-in tables, overlaid with what a client's generic metadata says (:meth:`from_generic_metadata`).

    ``labels``: a label for each key the metadata lists; ``english``: its English name; ``geographies``: the
    geography keys the metadata lists; ``release_states``: release-state keys the metadata lists that the built-in
    tables do not know, classified by English name (``given`` / ``missing`` / ``unknown``); ``usages``: every usage
    key with its label; ``source``: where the vocabulary came from, for the record."""

    labels: Mapping[str, str] = field(default_factory=dict)
    english: Mapping[str, str] = field(default_factory=dict)
    geographies: frozenset[str] = frozenset()
    release_states: Mapping[str, str] = field(default_factory=dict)
    usages: Mapping[str, str] = field(default_factory=lambda: dict(USAGES))
    source: str = "built-in"
    _countries: dict = field(default_factory=dict, init=False, repr=False, compare=False)
    # what ``rights`` derived from key lists under this vocabulary (``rights._remembered``); lives as long as it does
    findings: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @classmethod
    def from_generic_metadata(cls, metadata, *, source: str = "generic metadata") -> Vocabulary:
        """The vocabulary of Smint.io's generic metadata over the built-in one (empty or malformed: built-in)."""
        lists = read_generic_metadata(metadata)
        if not any(lists.values()):
            return DEFAULT
        labels, english = {}, {}
        for keys in lists.values():
            for key, names in keys.items():
                if label := _preferred(names):
                    labels.setdefault(key, label)
                if name := _english(names):
                    english.setdefault(key, name)
        release_states = {
            key: RELEASE_NAMES.get(_release_words(english.get(key, "")), UNKNOWN)
            for key in lists.get("release_states", {})
            if key not in RELEASE_GIVEN and key != RELEASE_MISSING and key not in RELEASE_UNKNOWN
        }
        usages = {**USAGES, **{key: labels.get(key, USAGES.get(key, key)) for key in lists.get("license_usages", {})}}
        return cls(
            labels=labels,
            english=english,
            geographies=frozenset(lists.get("license_geographies", {})),
            release_states=release_states,
            usages=usages,
            source=source,
        )

    # -- geographies ----------------------------------------------------------------------------------------------
    def countries_of(self, key: str) -> frozenset[str] | None:
        """The countries a geography key covers: ``None`` for worldwide, an empty set for a key we cannot read."""
        if key in self._countries:
            return self._countries[key]
        found = self._read_geography(key)
        if len(self._countries) < 10_000:  # keys come from licences: a bounded vocabulary, but never trust that
            self._countries[key] = found
        return found

    def _read_geography(self, key: str) -> frozenset[str] | None:
        if key == WORLDWIDE:
            return None
        if key in REGION_COUNTRIES:
            return REGION_COUNTRIES[key]
        suffix = str(key).rsplit("_", 1)[-1]
        if len(suffix) == 2 and suffix.upper() in _iso_codes():
            return frozenset({suffix.upper()})
        if key in self.geographies and (name := _words(self.english.get(key, ""))):
            if name in _WORLDWIDE_NAMES:
                return None
            if code := _iso_names().get(name):
                return frozenset({code})
        return frozenset()

    def covers(self, keys: Iterable[str], country: str) -> bool:
        return any((found := self.countries_of(key)) is None or country in found for key in keys)

    def unreadable(self, keys: Iterable[str]) -> list[str]:
        """The geography keys we cannot map to countries: the licence may or may not cover a country through them."""
        return [key for key in keys if self.countries_of(key) == frozenset()]

    # -- release states -------------------------------------------------------------------------------------------
    def release_state(self, key) -> str | None:
        """``given``, ``missing`` or ``unknown`` for a state we know; ``None`` for a key nobody knows (unreadable)."""
        if key is None:
            return UNKNOWN
        if not isinstance(key, str):
            return None
        if key in RELEASE_UNKNOWN:
            return UNKNOWN
        if key in RELEASE_GIVEN:
            return GIVEN
        if key == RELEASE_MISSING:
            return MISSING
        return self.release_states.get(key)

    # -- usages ---------------------------------------------------------------------------------------------------
    def usage_key(self, value: str) -> str | None:
        """``web``, ``usage_web`` or ``Social-Media`` → the Smint.io usage key; ``None`` for a usage we do not know."""
        value = value.strip().lower().replace("-", "_").replace(" ", "_")
        for key in (value, f"usage_{value}"):
            if key in self.usages:
                return key
        return None

    # -- words ----------------------------------------------------------------------------------------------------
    def label(self, key: str) -> str | None:
        """The key's label from the metadata, else from the built-in tables; ``None`` when neither has one."""
        return self.labels.get(key) or USAGES.get(key) or GEOGRAPHY_LABELS.get(key) or RELEASE_LABELS.get(key)

    def readable(self, key: str) -> str:
        """``geography_united_kingdom_gb`` → "United Kingdom" (the label), or the key made readable."""
        return self.label(key) or _made_readable(key)

    def named(self, key) -> str:
        """A key that cannot be read, for a sentence: ``Benelux (geography_benelux)`` with the metadata's label,
        else the key alone (a label made up from the key would only repeat it)."""
        label = self.labels.get(key) if isinstance(key, str) else None
        return f"{label} ({key})" if label and label != key else str(key)


def _release_words(name: str) -> str:
    words = _words(name)
    for affix in ("release state ", "release "):
        if words.startswith(affix):
            return words.removeprefix(affix)
    return words.removesuffix(" release")


def _made_readable(key: str) -> str:
    words = key.split("_")[1:]
    if len(words) > 1 and len(words[-1]) == 2 and key.startswith("geography_"):
        words = words[:-1]
    return " ".join(words).capitalize() or key


DEFAULT = Vocabulary()


def with_vocabulary(queryset, client: str = "client"):
    """``queryset`` with its rows' client's Smint.io connection selected in the same statement, but only the
    version of its vocabularies (``updated_at``): ``vocabulary_for`` then reads no more while this process knows that
    version, and neither the vocabularies (~17 kB of JSON per row) nor the connection's credentials are loaded.
    ``client`` is the path to the client from the queryset's model."""
    from apps.clients.models import SmintioConnection

    path = f"{client}__smintio_connection"
    kept = {"id", "client", "updated_at"}
    return queryset.select_related(path).defer(
        *(f"{path}__{field.name}" for field in SmintioConnection._meta.concrete_fields if field.name not in kept)
    )


# The vocabularies this process has built, by client id: (the connection's ``updated_at`` they were built at, the
# vocabulary). Building one from Smint.io's generic metadata (~17 kB of JSON) costs about a millisecond, and an inbox
# page of 50 rows built it once per row. Every read checks the version read with the request's own rows (a
# timestamp, no JSON), so a vocabulary a sync changed is never served: the sync's write sets ``updated_at`` with it,
# as every save does. Bounded; the oldest entry goes first.
_KNOWN: dict[int, tuple[object, Vocabulary]] = {}
KNOWN_LIMIT = 1_000


def vocabulary_at(client, version, metadata=None) -> Vocabulary:
    """The vocabulary of ``client`` whose Smint.io connection was last written at ``version`` (its ``updated_at``;
    ``None``: no connection, the built-in vocabulary), built from ``metadata`` (its generic metadata, read from the
    database when not given) only when this process does not know that version yet. Kept on the client instance
    for ``vocabulary_for``."""
    known = _KNOWN.get(client.pk) if version is not None else (None, DEFAULT)
    if known is not None and known[0] == version:
        client._greenlight_vocabulary = known[1]
        return known[1]
    if metadata is None:
        from apps.clients.models import SmintioConnection

        metadata = (
            SmintioConnection.objects.filter(client_id=client.pk).values_list("generic_metadata", flat=True).first()
        )
    found = (
        Vocabulary.from_generic_metadata(metadata, source=f"generic metadata of client {client.pk}")
        if metadata
        else DEFAULT
    )
    if len(_KNOWN) >= KNOWN_LIMIT:
        _KNOWN.pop(next(iter(_KNOWN)), None)
    _KNOWN[client.pk] = (version, found)
    client._greenlight_vocabulary = found
    return found


def _read(client) -> Vocabulary:
    """``vocabulary_at`` from one query: the version of the client's connection, with its vocabularies when this
    process knows none of the client's yet (a version it knows the vocabulary of is the usual answer)."""
    from apps.clients.models import SmintioConnection

    rows = SmintioConnection.objects.filter(client_id=client.pk)
    if client.pk in _KNOWN:
        return vocabulary_at(client, rows.values_list("updated_at", flat=True).first())
    version, metadata = rows.values_list("updated_at", "generic_metadata").first() or (None, None)
    return vocabulary_at(client, version, metadata)


def vocabulary_for(client) -> Vocabulary:
    """The client's vocabulary: its Smint.io connection's generic metadata over the built-in tables, or the
    built-in vocabulary when the client has no connection or nothing was synced yet. Kept on the client instance,
    so one request (one ``Client`` object) asks once; across requests, see ``vocabulary_at``. With the connection
    selected (``with_vocabulary``) no query is made while the version is known; else one (``_read``)."""
    if client is None:
        return DEFAULT
    cached = getattr(client, "_greenlight_vocabulary", None)
    if cached is not None:
        return cached
    if type(client).smintio_connection.is_cached(client):  # selected with the client (``with_vocabulary``)
        connection = getattr(client, "smintio_connection", None)  # None: the client has none
        deferred = connection.get_deferred_fields() if connection is not None else set()
        if connection is None:
            found = DEFAULT
        elif "updated_at" in deferred:
            found = _read(client)
        else:  # no query while this process knows the version
            metadata = None if "generic_metadata" in deferred else connection.generic_metadata
            found = vocabulary_at(client, connection.updated_at, metadata)
    else:
        found = _read(client)
    client._greenlight_vocabulary = found  # DEFAULT too
    return found


# -- the built-in vocabulary, as module functions (kept for callers that have no client at hand) --------------------
def usage_key(value: str) -> str | None:
    """``web``, ``usage_web`` or ``Social-Media`` → the Smint.io usage key; ``None`` for a usage we do not know."""
    return DEFAULT.usage_key(value)


def countries_of(key: str) -> frozenset[str] | None:
    """The countries a geography key covers: ``None`` for worldwide, an empty set for a key we cannot read."""
    return DEFAULT.countries_of(key)


def covers(keys: list[str], country: str) -> bool:
    return DEFAULT.covers(keys, country)


def unreadable(keys: list[str]) -> list[str]:
    """The geography keys we cannot map to countries: the licence may or may not cover a country through them."""
    return DEFAULT.unreadable(keys)


def readable(key: str, labels: dict[str, str] | None = None) -> str:
    """``geography_united_kingdom_gb`` → "United kingdom" (from ``labels``, e.g. a synced vocabulary, when given)."""
    if labels and key in labels:
        return labels[key]
    return DEFAULT.readable(key)
