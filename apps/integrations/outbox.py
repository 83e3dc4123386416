"""The transactional outbox is its own app, ``apps.outbox`` (below the domain apps, which import it directly); this
module re-exports its interface for the integrations' handlers and older callers. Patch ``apps.outbox.services``,
not this module: the relay looks its names up there."""

from apps.outbox.choices import OutboxStatus as OutboxStatus
from apps.outbox.choices import Platform as Platform
from apps.outbox.services import HANDLERS as HANDLERS
from apps.outbox.services import Handler as Handler
from apps.outbox.services import backoff_seconds as backoff_seconds
from apps.outbox.services import breaker_allows as breaker_allows
from apps.outbox.services import breaker_failure as breaker_failure
from apps.outbox.services import breaker_success as breaker_success
from apps.outbox.services import claim as claim
from apps.outbox.services import deliver as deliver
from apps.outbox.services import discard as discard
from apps.outbox.services import drain as drain
from apps.outbox.services import enqueue as enqueue
from apps.outbox.services import handler as handler
from apps.outbox.services import has_pending as has_pending
from apps.outbox.services import kick as kick
from apps.outbox.services import pending_for as pending_for
from apps.outbox.services import recover_expired_leases as recover_expired_leases
from apps.outbox.services import retry_now as retry_now
from apps.outbox.services import withdraw as withdraw
