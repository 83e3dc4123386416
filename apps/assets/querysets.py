from apps.common.querysets import ClientScopedQuerySet


def available_condition():
    """What creatives, matching and ``?available=true`` may offer: approved, with rights in force now.

    Rights in force is ``rights_state == valid`` (from the licence terms, kept current by the sync) and not past
    ``rights_until`` by the clock, so an asset stops being offered the minute its rights lapse, before any job
    notices. Everything else (pending, rejected, withdrawn, expired, unknown) never shows. The one definition:
    ``available()``, the filters, the API's ``available`` field and ``Asset.is_available`` all use it."""
    from django.db.models import Q
    from django.db.models.functions import Now

    from .choices import ApprovalState, RightsState

    return Q(approval_state=ApprovalState.APPROVED, rights_state=RightsState.VALID) & (
        Q(rights_until__isnull=True) | Q(rights_until__gt=Now())
    )


class AssetQuerySet(ClientScopedQuerySet):
    def available(self):
        return self.filter(available_condition())


class LicensePurchaseQuerySet(ClientScopedQuerySet):
    pass


class LicenseTermQuerySet(ClientScopedQuerySet):
    client_field = "license_purchase__client"


class BinaryQuerySet(ClientScopedQuerySet):
    client_field = "license_purchase__client"


class UsageEventQuerySet(ClientScopedQuerySet):
    pass


class AssetSignalQuerySet(ClientScopedQuerySet):
    pass
