"""The platforms and the outbox's states are the outbox's (``apps.outbox.choices``); re-exported here for the
integrations' older callers."""

from apps.outbox.choices import BLOCKING_STATUSES as BLOCKING_STATUSES
from apps.outbox.choices import OUTBOX_TRANSITIONS as OUTBOX_TRANSITIONS
from apps.outbox.choices import OutboxStatus as OutboxStatus
from apps.outbox.choices import Platform as Platform
