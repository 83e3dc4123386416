from __future__ import annotations

import hashlib
import zoneinfo
from datetime import timedelta
from functools import cached_property

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django_countries.fields import CountryField

from apps.common.lifetimes import RevocableUntil
from apps.common.querysets import ClientScopedQuerySet
from apps.common.roles import RoleCode, roles_with

from .choices import SCOPE_RANK, TokenScope


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a known IANA time zone.")


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username: str) -> User:
        return self.get(email=normalize_email(username))


def normalize_email(email: str) -> str:
    """E-mail addresses are compared case-insensitively everywhere; we store them lower-cased."""
    return (email or "").strip().lower()


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in with an e-mail address. What they may see comes from their memberships."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    time_zone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text="Dates are shown in this zone.",
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="May sign in to the operator admin site.")
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email"]
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.full_name or self.email

    def clean(self) -> None:
        super().clean()
        self.email = normalize_email(self.email)

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    # -- tenancy ------------------------------------------------------------------------------------------------
    # An API token bound to one client narrows everything this user object can see for that request.
    token_client_id: int | None = None

    def _memberships(self) -> models.QuerySet:
        memberships = Membership.objects.filter(user=self)
        if self.token_client_id is not None:
            memberships = memberships.filter(client_id=self.token_client_id)
        return memberships

    def visible_client_ids(self) -> models.QuerySet:
        """A lazy subquery of the clients this user is a member of (the client switcher, ``Client.visible_to``).
        In a client where they are an external member they see only what was shared with them: tenant rows start
        from :meth:`internal_client_ids` and the shares (``ClientScopedQuerySet.visible_to``)."""
        return self._memberships().values("client_id")

    @cached_property
    def external_client_id_list(self) -> list[int]:
        """The clients where this user is an external member (holds the ``external`` role, whatever else they hold):
        there they see only what was explicitly shared with them, and their roles grant no capability. Read from
        the membership list, which every page reads anyway (navigation, the active client)."""
        return [m.client_id for m in self.membership_list if RoleCode.EXTERNAL in m.role_codes]

    def internal_client_ids(self) -> models.QuerySet:
        """A lazy subquery of the clients whose rows this user sees whole: their memberships but the external
        ones. Without external memberships it is :meth:`visible_client_ids`, the same SQL."""
        memberships = self._memberships()
        if self.external_client_id_list:
            memberships = memberships.exclude(client_id__in=self.external_client_id_list)
        return memberships.values("client_id")

    def is_external_in(self, client) -> bool:
        """Whether this user is an external member of ``client`` (a client or its id)."""
        return getattr(client, "pk", client) in self.external_client_id_list

    def client_ids_with(self, capability: str) -> models.QuerySet:
        """The client ids in which one of this user's roles grants ``capability`` (never where they are external)."""
        memberships = self._memberships().filter(roles__code__in=roles_with(capability))
        if self.external_client_id_list:
            memberships = memberships.exclude(client_id__in=self.external_client_id_list)
        return memberships.values("client_id")

    def has_capability(self, client, capability: str) -> bool:
        """Whether a role of this user in ``client`` grants ``capability`` (from the request's membership list); an
        external member's roles grant none."""
        wanted = set(roles_with(capability))
        client_id = getattr(client, "pk", client)
        return any(
            m.client_id == client_id and wanted.intersection(m.role_codes) and RoleCode.EXTERNAL not in m.role_codes
            for m in self.membership_list
        )

    @cached_property
    def membership_list(self) -> list[Membership]:
        """This user's memberships with clients, roles and regions, for navigation and the profile page."""
        return list(
            self._memberships()
            .select_related("client", "delegate")
            .prefetch_related("roles", "regions")
            .order_by("client__name")
        )


class RoleManager(models.Manager):
    def for_codes(self, codes) -> list[Role]:
        """The Role rows of ``codes``, created if missing (a migration creates them all; a flushed test database
        does not have them)."""
        return [self.get_or_create(code=RoleCode(code))[0] for code in codes]


class Role(models.Model):
    """One row per ``RoleCode``; a table rather than a JSON list so memberships can be queried by role."""

    code = models.CharField(max_length=32, unique=True, choices=RoleCode.choices)

    objects = RoleManager()

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.get_code_display()


class Region(models.Model):
    """A named set of ISO-3166 countries (EMEA, APAC, AMER...) that scopes regional reviewers."""

    code = models.SlugField(max_length=30, unique=True)
    name = models.CharField(max_length=100)
    countries = CountryField(multiple=True, blank=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class MembershipQuerySet(ClientScopedQuerySet):
    def shared_with(self, user) -> models.Q:
        """An external member of a client sees one membership of it in the member list: their own."""
        return models.Q(user_id=user.pk)


class Membership(models.Model):
    """A user's place in one client: the roles they hold there and the regions they are scoped to.

    No regions means the member is not region-scoped (sees every region of the client).
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="memberships")
    roles = models.ManyToManyField(Role, blank=True, related_name="memberships")
    regions = models.ManyToManyField(Region, blank=True, related_name="memberships")
    created_at = models.DateTimeField(auto_now_add=True)
    # Out of office (``accounts.delegation``): from ``away_from`` until ``away_until`` the member's tasks here go to
    # ``delegate`` and are read-only for them. Kept on the membership, so every page that already reads the
    # membership list knows it without a query.
    delegate = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="delegations_received"
    )
    away_from = models.DateTimeField(null=True, blank=True)
    away_until = models.DateTimeField(null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["client__name", "user__email"]
        constraints = [models.UniqueConstraint(fields=["user", "client"], name="membership_user_client_unique")]

    def __str__(self) -> str:
        return f"{self.user} in {self.client}"

    def _related(self, name: str):
        """The prefetched rows of ``name`` as they are (a related manager's ``all()`` clones a queryset on every call:
        the inbox asks each membership of every row), else a query."""
        prefetched = getattr(self, "_prefetched_objects_cache", {}).get(name)
        return prefetched if prefetched is not None else getattr(self, name).all()

    @property
    def role_codes(self) -> list[str]:
        return [role.code for role in self._related("roles")]

    @property
    def region_codes(self) -> list[str]:
        return [region.code for region in self._related("regions")]

    @property
    def away_last_day(self):
        """The last day away, in the portal's time zone (``away_until`` is the start of the day after)."""
        return (timezone.localtime(self.away_until) - timedelta(days=1)).date() if self.away_until else None

    def away(self, now=None) -> bool:
        """Whether the member's tasks here are with their delegate now."""
        now = now or timezone.now()
        return bool(self.delegate_id and self.away_from and self.away_until and self.away_from <= now < self.away_until)


class ApiTokenQuerySet(models.QuerySet):
    def usable(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now(), user__is_active=True)


class ApiToken(RevocableUntil, models.Model):
    """A personal API key: only its SHA-256 is stored, the key itself is shown once when it is created.

    Keys are 256-bit random, so a fast hash is enough (no offline guessing is feasible); ``prefix`` is the
    non-secret start of the key that lets a person recognise it in a list.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    client = models.ForeignKey(
        "clients.Client",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="api_tokens",
        help_text="Restrict the token to this client; empty means every client the user is a member of.",
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64, unique=True)
    scope = models.CharField(max_length=8, choices=TokenScope.choices, default=TokenScope.READ)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(scope__in=TokenScope.values), name="apitoken_scope_valid"),
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")),
                name="apitoken_expires_after_created",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    def allows(self, scope: str) -> bool:
        return SCOPE_RANK[TokenScope(self.scope)] >= SCOPE_RANK[TokenScope(scope)]


class LoginThrottle(models.Model):
    """One counter of the sign-in and password-reset limits (:mod:`apps.accounts.throttle`), updated under a row
    lock. Times are seconds since the epoch; a row whose ``expires_at`` has passed counts from zero again."""

    key = models.CharField(max_length=300, unique=True)
    count = models.PositiveIntegerField(default=0)
    blocked_until = models.BigIntegerField(default=0, help_text="No attempt is checked before this time.")
    expires_at = models.BigIntegerField(default=0, db_index=True, help_text="The count is forgotten at this time.")

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"


class NoticeQuerySet(models.QuerySet):
    def unread_for(self, user) -> NoticeQuerySet:
        """The (at most 10) notices ``user`` has not seen yet, oldest first."""
        return self.filter(user=user, read_at__isnull=True)[:10]


class Notice(models.Model):
    """Something a person must hear about that happened out of their sight (e.g. a claim lost to someone acting in
    OpenText). Shown once as a toast on their next page, then marked read."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notices")
    level = models.CharField(max_length=10, default="warning")
    text = models.CharField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = NoticeQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["user"], name="notice_unread_idx", condition=models.Q(read_at__isnull=True))]

    def __str__(self) -> str:
        return self.text
