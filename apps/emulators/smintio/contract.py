"""Every assumed ([A]) part of the Smint.io emulator's contract, in one place.

platforms.md section 1 lists what is publicly verifiable about Smint.io's Content Licensing Consumer API (CLAPI-C);
its HTTP paths, error bodies, token lifetimes and key vocabularies are not public. This module pins the choices the
emulator makes for them, so that replacing an assumption once partner documentation arrives is a change here (and
in the portal's adapter), not a hunt through views. Views and services import these constants; nothing else in the
emulator repeats a literal that belongs here.

Paths (``{root}`` is ``/emulators/smintio`` in process, ``/`` when standalone; ``{tenant}`` is the tenant slug):

- ``SMINTIO_AUTH_BASE = {root}/{tenant}/auth``: ``.well-known/openid-configuration``, ``connect/authorize``,
  ``connect/token``, ``connect/revocation``.
- ``SMINTIO_API_BASE = {root}/{tenant}/consumer/v1``: ``sync/generic-metadata``, ``sync/license-purchase-transactions``,
  ``sync/cart-purchase-transactions/{cpt}/license-purchase-transactions/{lpt}/binaries``, ``sync/usage-events``,
  ``notifications/pusher/auth``, ``content-elements/{uuid}/workflow-status`` (PUT),
  ``content-elements/{uuid}/metadata`` (PATCH).
- Emulator-only, global: ``{root}/_files/{signed token}`` (binary downloads), ``{root}/_previews/{uuid}.svg``
  (generated previews), ``{root}/_emulator/...`` (control routes for tests and the demo).

Errors:

- Token and revocation endpoints answer RFC 6749 bodies ``{error, error_description}``: 400 ``invalid_request``,
  ``invalid_grant``, ``unsupported_grant_type``, ``invalid_scope``; 401 ``invalid_client``.
- Every other route answers ``{error, message}`` with a snake_case ``error``. 401: missing, unknown or expired access
  token; 403: revoked token, another tenant's token, or a token without ``smintio.full``; 404 unknown tenant or
  object; 400 malformed input; 422 an idempotency key reused with another body; 429 (with ``Retry-After``) and 5xx
  only when a fault is injected.

Tokens: opaque random strings, stored as SHA-256 digests. Access tokens live ``ACCESS_TOKEN_LIFETIME`` seconds
(per tenant, settable by a control route); refresh tokens ``REFRESH_TOKEN_LIFETIME`` and are rotated: each refresh
returns a new one and the used one is refused with ``invalid_grant`` from then on. Authorization codes are single-use
and live ``AUTH_CODE_LIFETIME`` seconds; replaying a code also revokes the tokens it produced (RFC 6749 4.1.2).
Revoking a refresh token revokes the access tokens issued with it. There is no client-credentials grant.

Cursors: every new or changed licence purchase transaction (LPT) appends a snapshot to the tenant's change log
(monotonic sequence). A ``continuation_uuid`` is an opaque UUID naming a log position; the same position always
yields the same UUID, so a call with the latest cursor answers ``count: 0`` and echoes that cursor (never null). An
LPT re-appears, with a higher ``version``, whenever it changes (cancellation, new terms, counters, a new binary
version); a re-delivery repeats the same version. Write-backs from the portal (workflow status, metadata) do not
append to the log, so a portal never receives its own decisions as "changes". Usage events have their own log and
cursors with the same rules.

Idempotency (write-backs): ``Idempotency-Key`` is required (400 without it, at most 255 characters). The key is
scoped to the tenant; the first successful (2xx) answer is stored with a digest of method, path and canonical JSON
body. The same key and body replay that answer (header ``Idempotent-Replayed: true``) and create no new version; the
same key with another body or path is 422. Failed validation (400, 404) stores nothing, so a corrected retry may
reuse the key.

Vocabularies: the keys below are what the generic-metadata route lists and what licence terms use. Geography keys
of single countries end in ``_<iso-3166 alpha-2, lower case>`` (``geography_germany_de``); all other geography keys
are regions whose member countries are listed in ``REGION_COUNTRIES``.

Notifications (emulator-only, never production): ``POST {PORTAL_URL}/integrations/smintio/notify/`` with the JSON
body of ``NOTIFY_FIELDS``, headers ``X-Timestamp`` and ``X-Signature: sha256=<hex HMAC-SHA256 of
"<timestamp>.<raw body>">`` keyed with ``settings.NOTIFY_SECRETS[0]`` (platforms.md 5.3).
"""

from __future__ import annotations

EMULATOR = "smintio"

# --- OAuth / OIDC ---------------------------------------------------------------------------------------------
SCOPES_SUPPORTED = ("smintio.full", "openid", "profile", "offline_access")
DEFAULT_SCOPE = " ".join(SCOPES_SUPPORTED)
API_SCOPE = "smintio.full"
GRANT_TYPES = ("authorization_code", "refresh_token")
ACCESS_TOKEN_LIFETIME = 3600
REFRESH_TOKEN_LIFETIME = 30 * 24 * 3600
AUTH_CODE_LIFETIME = 60
CONSENT_FORM_MAX_AGE = 600
ID_TOKEN_ALGORITHM = "HS256"
TOKEN_TYPE = "Bearer"

# --- Sync -----------------------------------------------------------------------------------------------------
LIMIT_DEFAULT = 10
LIMIT_MAX = 100
CURSOR_PARAMS = ("continuation_uuid", "continuationUuid")
STREAM_LPT = "lpt"
STREAM_USAGE = "usage"
LPT_STATES = ("completed", "cancelled")
DOWNLOAD_URL_LIFETIME = 3600
DOWNLOAD_SALT = "emulator-smintio-download"
CONSENT_SALT = "emulator-smintio-consent"

# --- Write-back (platforms.md 5.1) ----------------------------------------------------------------------------
IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_KEY_MAX_LENGTH = 255
REPLAYED_HEADER = "Idempotent-Replayed"
WORKFLOW_STATUSES = ("approved", "rejected", "changes_requested", "restricted", "withdrawn", "cleared")
WORKFLOW_REQUIRED_FIELDS = ("status", "decided_at", "decided_by", "workflow_reference")
RESTRICTION_FIELDS = ("geographies", "usages", "valid_until")
METADATA_FIELDS = ("name", "description", "keywords", "categories", "usage_rules", "access")
METADATA_VISIBILITIES = ("internal", "restricted", "public")
USAGE_EVENT_KINDS = ("download", "reuse", "share")

# --- Notifications --------------------------------------------------------------------------------------------
NOTIFY_EVENT = "global-transaction-history-update"
NOTIFY_PATH = "/integrations/smintio/notify/"
NOTIFY_FIELDS = ("event_id", "event", "channel", "tenant_id", "sent_at")
CHANNEL_PREFIX = "private-2-"
NOTIFY_TIMEOUT = (3, 10)
PUSHER_APP_KEY = "emulator-pusher-key"

# --- Error codes (the ``error`` field of ``{error, message}``) -------------------------------------------------
ERR_UNAUTHORIZED = "unauthorized"
ERR_INVALID_TOKEN = "invalid_token"
ERR_TOKEN_EXPIRED = "token_expired"
ERR_TOKEN_REVOKED = "token_revoked"
ERR_WRONG_TENANT = "wrong_tenant"
ERR_INSUFFICIENT_SCOPE = "insufficient_scope"
ERR_TENANT_NOT_FOUND = "tenant_not_found"
ERR_NOT_FOUND = "not_found"
ERR_INVALID_REQUEST = "invalid_request"
ERR_INVALID_JSON = "invalid_json"
ERR_INVALID_LIMIT = "invalid_limit"
ERR_INVALID_CURSOR = "invalid_continuation_uuid"
ERR_MISSING_IDEMPOTENCY_KEY = "missing_idempotency_key"
ERR_IDEMPOTENCY_MISMATCH = "idempotency_key_reused"
ERR_CHANNEL_FORBIDDEN = "channel_forbidden"
ERR_DOWNLOAD_EXPIRED = "download_url_expired"
ERR_DOWNLOAD_INVALID = "invalid_download_url"
ERR_METHOD_NOT_ALLOWED = "method_not_allowed"
ERR_CONFLICT = "conflict"
ERR_RATE_LIMITED = "rate_limited"
ERR_NOTIFY_NOT_CONFIGURED = "notify_not_configured"
ERR_NOTIFY_FAILED = "notify_failed"

# --- Vocabularies: key -> (English name, German name) ---------------------------------------------------------
PROVIDERS = {
    "getty": ("Getty Images", "Getty Images"),
    "adobestock": ("Adobe Stock", "Adobe Stock"),
    "shutterstock": ("Shutterstock", "Shutterstock"),
    "istock": ("iStock", "iStock"),
    "panthermedia": ("PantherMedia", "PantherMedia"),
    "bynder": ("Bynder (DAM)", "Bynder (DAM)"),
    "brandfolder": ("Brandfolder (DAM)", "Brandfolder (DAM)"),
}
STOCK_PROVIDERS = ("getty", "adobestock", "shutterstock", "istock")
DAM_PROVIDERS = ("bynder", "brandfolder")
CONTENT_TYPES = {
    "image": ("Image", "Bild"),
    "video": ("Video", "Video"),
    "template": ("Template", "Vorlage"),
    "audio": ("Audio", "Audio"),
    "document": ("Document", "Dokument"),
}
BINARY_TYPES = {
    "binary_type_master": ("Master file", "Originaldatei"),
    "binary_type_variant": ("Variant", "Variante"),
    "binary_type_layout": ("Layout file", "Layoutdatei"),
}
CONTENT_CATEGORIES = {
    "creative": ("Creative", "Kreativ"),
    "editorial": ("Editorial", "Redaktionell"),
    "brand": ("Brand asset", "Markenbestand"),
}
LICENSE_TYPES = {
    "royalty_free": ("Royalty free", "Lizenzfrei"),
    "rights_managed": ("Rights managed", "Lizenzpflichtig"),
    "editorial": ("Editorial", "Redaktionell"),
    "in_house": ("Owned / in-house", "Eigenes Material"),
}
RELEASE_STATES = {
    "release_state_released": ("Released", "Freigegeben"),
    "release_state_not_released": ("Not released", "Nicht freigegeben"),
    "release_state_not_required": ("Not required", "Nicht erforderlich"),
    "release_state_unknown": ("Unknown", "Unbekannt"),
}
LICENSE_EXCLUSIVITIES = {
    "exclusivity_none": ("Not exclusive", "Nicht exklusiv"),
    "exclusivity_industry": ("Exclusive in the industry", "Branchenexklusiv"),
    "exclusivity_full": ("Fully exclusive", "Vollständig exklusiv"),
}
LICENSE_USAGES = {
    "usage_web": ("Web", "Web"),
    "usage_print": ("Print", "Druck"),
    "usage_social_media": ("Social media", "Soziale Medien"),
    "usage_advertising": ("Advertising", "Werbung"),
    "usage_editorial": ("Editorial", "Redaktionell"),
    "usage_broadcast": ("Broadcast", "Rundfunk"),
    "usage_internal": ("Internal communication", "Interne Kommunikation"),
    "usage_packaging": ("Packaging", "Verpackung"),
    "usage_out_of_home": ("Out of home", "Außenwerbung"),
}
LICENSE_SIZES = {
    "size_small": ("Small (up to 1 MP)", "Klein (bis 1 MP)"),
    "size_medium": ("Medium (up to 4 MP)", "Mittel (bis 4 MP)"),
    "size_large": ("Large (over 4 MP)", "Groß (über 4 MP)"),
    "size_original": ("Original", "Original"),
}
LICENSE_PLACEMENTS = {
    "placement_website": ("Website", "Webseite"),
    "placement_banner": ("Banner", "Banner"),
    "placement_brochure": ("Brochure", "Broschüre"),
    "placement_billboard": ("Billboard", "Plakatwand"),
    "placement_tv_spot": ("TV spot", "TV-Spot"),
    "placement_point_of_sale": ("Point of sale", "Point of Sale"),
}
LICENSE_DISTRIBUTIONS = {
    "distribution_unlimited": ("Unlimited", "Unbegrenzt"),
    "distribution_up_to_500000": ("Up to 500,000 copies", "Bis 500.000 Exemplare"),
    "distribution_up_to_50000": ("Up to 50,000 copies", "Bis 50.000 Exemplare"),
}
REGION_COUNTRIES: dict[str, tuple[str, ...] | None] = {
    "geography_worldwide": None,  # every country
    "geography_europe": (
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
    ),
    "geography_dach": ("DE", "AT", "CH"),
    "geography_north_america": ("US", "CA", "MX"),
    "geography_latin_america": ("AR", "BR", "CL", "CO", "MX", "PE"),
    "geography_asia_pacific": ("AU", "CN", "IN", "JP", "KR", "NZ", "SG"),
}
LICENSE_GEOGRAPHIES = {
    "geography_worldwide": ("Worldwide", "Weltweit"),
    "geography_europe": ("Europe (EEA, CH, GB)", "Europa (EWR, CH, GB)"),
    "geography_dach": ("Germany, Austria, Switzerland", "Deutschland, Österreich, Schweiz"),
    "geography_north_america": ("North America", "Nordamerika"),
    "geography_latin_america": ("Latin America", "Lateinamerika"),
    "geography_asia_pacific": ("Asia-Pacific", "Asien-Pazifik"),
    "geography_germany_de": ("Germany", "Deutschland"),
    "geography_austria_at": ("Austria", "Österreich"),
    "geography_switzerland_ch": ("Switzerland", "Schweiz"),
    "geography_france_fr": ("France", "Frankreich"),
    "geography_united_kingdom_gb": ("United Kingdom", "Vereinigtes Königreich"),
    "geography_spain_es": ("Spain", "Spanien"),
    "geography_italy_it": ("Italy", "Italien"),
    "geography_netherlands_nl": ("Netherlands", "Niederlande"),
    "geography_united_states_us": ("United States", "Vereinigte Staaten"),
    "geography_canada_ca": ("Canada", "Kanada"),
    "geography_brazil_br": ("Brazil", "Brasilien"),
    "geography_japan_jp": ("Japan", "Japan"),
    "geography_china_cn": ("China", "China"),
    "geography_australia_au": ("Australia", "Australien"),
}
LICENSE_INDUSTRIES = {
    "industry_pharma": ("Pharmaceuticals and health", "Pharma und Gesundheit"),
    "industry_food": ("Food and beverage", "Lebensmittel und Getränke"),
    "industry_finance": ("Financial services", "Finanzdienstleistungen"),
    "industry_technology": ("Technology", "Technologie"),
    "industry_automotive": ("Automotive", "Automobil"),
    "industry_tobacco": ("Tobacco", "Tabak"),
    "industry_alcohol": ("Alcohol", "Alkohol"),
    "industry_politics": ("Politics", "Politik"),
}
LICENSE_LANGUAGES = {
    "language_english": ("English", "Englisch"),
    "language_german": ("German", "Deutsch"),
    "language_french": ("French", "Französisch"),
    "language_spanish": ("Spanish", "Spanisch"),
    "language_italian": ("Italian", "Italienisch"),
    "language_japanese": ("Japanese", "Japanisch"),
}
LICENSE_USAGE_LIMITS = {
    "usage_limit_none": ("No limit", "Keine Begrenzung"),
    "usage_limit_single_campaign": ("One campaign", "Eine Kampagne"),
    "usage_limit_500000_impressions": ("Up to 500,000 impressions", "Bis 500.000 Impressionen"),
    "usage_limit_3_placements": ("Up to 3 placements", "Bis zu 3 Platzierungen"),
}

# The 15 keys of SyncGenericMetadata (platforms.md 1.1) and the vocabulary each one lists.
GENERIC_METADATA = {
    "providers": PROVIDERS,
    "content_types": CONTENT_TYPES,
    "binary_types": BINARY_TYPES,
    "content_categories": CONTENT_CATEGORIES,
    "license_types": LICENSE_TYPES,
    "release_states": RELEASE_STATES,
    "license_exclusivities": LICENSE_EXCLUSIVITIES,
    "license_usages": LICENSE_USAGES,
    "license_sizes": LICENSE_SIZES,
    "license_placements": LICENSE_PLACEMENTS,
    "license_distributions": LICENSE_DISTRIBUTIONS,
    "license_geographies": LICENSE_GEOGRAPHIES,
    "license_industries": LICENSE_INDUSTRIES,
    "license_languages": LICENSE_LANGUAGES,
    "license_usage_limits": LICENSE_USAGE_LIMITS,
}
CULTURES = ("en", "de")


def country_of(geography_key: str) -> str | None:
    """The ISO-3166 alpha-2 code a single-country geography key carries (``geography_germany_de`` -> ``DE``)."""
    suffix = geography_key.rsplit("_", 1)[-1]
    if geography_key in REGION_COUNTRIES or len(suffix) != 2:
        return None
    return suffix.upper()
