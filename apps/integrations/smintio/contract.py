"""Everything the Smint.io client assumes that public material does not verify ([A] in platforms.md), in one place.

Verified: the OAuth endpoints under ``/connect/``, the refresh-token grant with rotation, snake_case JSON, the LPT,
term, binary and metadata field names, the ``continuation_uuid`` cursor, 401/403 → refresh, 429 → back off.
Assumed (replace when partner documentation arrives): the HTTP paths of the sync operations below, the error body
``{error, message}``, the write-back endpoints and their ``Idempotency-Key`` semantics (platforms.md 5.1), and the
usage-event sync.
"""

SCOPE = "smintio.full openid profile offline_access"  # [V]

# Auth, relative to the auth base ([V] paths)
AUTHORIZE_PATH = "/connect/authorize"
TOKEN_PATH = "/connect/token"
REVOCATION_PATH = "/connect/revocation"

# Data API, relative to the API base ([A] paths, [V] operation names in the comments)
GENERIC_METADATA_PATH = "/sync/generic-metadata"  # getGenericMetadataForSync
LPT_SYNC_PATH = "/sync/license-purchase-transactions"  # getLicensePurchaseTransactionsForSync
BINARIES_PATH = "/sync/cart-purchase-transactions/{cpt}/license-purchase-transactions/{lpt}/binaries"
USAGE_SYNC_PATH = "/sync/usage-events"  # 5.1
WORKFLOW_STATUS_PATH = "/content-elements/{uuid}/workflow-status"  # 5.1
METADATA_PATH = "/content-elements/{uuid}/metadata"  # 5.1

LPT_PAGE_LIMIT = 100  # [A] the emulator's maximum; the SDK uses 10
WORKFLOW_STATUSES = ("approved", "rejected", "changes_requested", "restricted", "withdrawn", "cleared")  # 5.1

# 401 or 403 → refresh once and retry (the SDKs do this for both) [V]
REAUTH_STATUSES = frozenset({401, 403})
