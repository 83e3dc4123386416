from django.db import models


class Platform(models.TextChoices):
    """The platforms a row is delivered to (and, for the integrations' inbox, the platforms hints come from)."""

    SMINTIO = "smintio", "Smint.io"
    OPENTEXT = "opentext", "OpenText"
    MAIL = "mail", "E-mail"
    WEBHOOK = "webhook", "Webhook"


class RemotePlatform(models.TextChoices):
    """The platforms that send hints to the integrations' inbox."""

    SMINTIO = Platform.SMINTIO.value, Platform.SMINTIO.label
    OPENTEXT = Platform.OPENTEXT.value, Platform.OPENTEXT.label


# Each integrator's endpoint fails on its own: one broken receiver must not stop the others, so webhook rows pass
# no shared circuit breaker (the webhooks app counts failures per endpoint and disables the endpoint instead).
UNGUARDED_PLATFORMS = frozenset({Platform.WEBHOOK})


class OutboxStatus(models.TextChoices):
    """``pending`` waits for its time (first try or retry); ``sending`` is claimed by a worker under a lease;
    ``failed`` is parked after the last attempt or a permanent error and waits for a person; ``discarded`` was
    given up by a person (audited)."""

    PENDING = "pending", "Queued"
    SENDING = "sending", "Sending"
    DONE = "done", "Delivered"
    FAILED = "failed", "Failed"
    DISCARDED = "discarded", "Discarded"


# Rows in these states hold back later rows of the same ordering key (per-object order).
BLOCKING_STATUSES = [OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.FAILED]

OUTBOX_TRANSITIONS = {
    OutboxStatus.PENDING: {OutboxStatus.SENDING, OutboxStatus.DISCARDED},
    OutboxStatus.SENDING: {OutboxStatus.DONE, OutboxStatus.PENDING, OutboxStatus.FAILED},
    OutboxStatus.FAILED: {OutboxStatus.PENDING, OutboxStatus.DISCARDED},
    OutboxStatus.DONE: set(),
    OutboxStatus.DISCARDED: set(),
}
