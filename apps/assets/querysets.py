from django.db.models import BooleanField, ExpressionWrapper, Q
from django.db.models.fields.json import KeyTransform

from apps.common.querysets import ClientScopedQuerySet
from apps.sharing.choices import SubjectType
from apps.sharing.querysets import shared_ids


def _shared_assets(user):
    return shared_ids(user, SubjectType.ASSET)


def available_condition():
    """What creatives, matching and ``?available=true`` may offer: approved, with rights in force now, not held.

    Rights in force is ``rights_state == valid`` (from the licence terms, kept current by the sync) and not past
    ``rights_until`` by the clock, so an asset stops being offered the minute its rights lapse, before any job
    notices. Everything else (pending, rejected, withdrawn, expired, unknown) never shows. The one definition:
    ``available()``, the filters, the API's ``available`` field and ``Asset.is_available`` all use it. An asset on
    hold (an open exception case or onboarding run, ``apps.assets.holds``) is never offered, whatever its approval:
    ``on_hold`` is a column kept by the hold service, so this stays a filter on the row (no subquery per asset)."""
    from django.db.models.functions import Now

    from .choices import ApprovalState, RightsState

    return Q(approval_state=ApprovalState.APPROVED, rights_state=RightsState.VALID, on_hold=False) & (
        Q(rights_until__isnull=True) | Q(rights_until__gt=Now())
    )


class AssetQuerySet(ClientScopedQuerySet):
    def for_licence_check(self):
        """The assets with what ``rights.evaluate`` reads of them and nothing more: ``release_details`` extracted by
        the database from the synced metadata (``rights.release_details_of``), the documents themselves neither
        sent nor decoded. Their licences come with ``apps.assets.prefetch.with_licences``."""
        return self.defer("metadata", "description", "keywords", "copyright_notices").annotate(
            release_json=KeyTransform("release_details", "metadata"),
            release_in_metadata=ExpressionWrapper(Q(metadata__has_key="release_details"), output_field=BooleanField()),
        )

    def available(self):
        return self.filter(available_condition())

    def shared_with(self, user):
        return Q(pk__in=_shared_assets(user))


class LicensePurchaseQuerySet(ClientScopedQuerySet):
    def for_licence_check(self):
        """The licences with what ``rights.evaluate`` reads: the synced document (tens of kB) left in the database,
        its ``content_element.release_details`` extracted there."""
        return self.defer("raw", "license_text").annotate(
            release_json=KeyTransform("release_details", KeyTransform("content_element", "raw"))
        )

    def shared_with(self, user):
        return Q(asset_id__in=_shared_assets(user))


class LicenseTermQuerySet(ClientScopedQuerySet):
    client_field = "license_purchase__client"

    def shared_with(self, user):
        return Q(license_purchase__asset_id__in=_shared_assets(user))


class BinaryQuerySet(ClientScopedQuerySet):
    client_field = "license_purchase__client"

    def shared_with(self, user):
        return Q(license_purchase__asset_id__in=_shared_assets(user))


class UsageEventQuerySet(ClientScopedQuerySet):
    def shared_with(self, user):
        """An asset shared with an external member comes with its usage (who downloaded it, where)."""
        return Q(asset_id__in=_shared_assets(user))


class AssetSignalQuerySet(ClientScopedQuerySet):
    pass


class AssetHoldQuerySet(ClientScopedQuerySet):
    def open(self):
        return self.filter(released_at__isnull=True)

    def shared_with(self, user):
        return Q(asset_id__in=_shared_assets(user))
