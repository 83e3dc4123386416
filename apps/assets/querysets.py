from apps.common.querysets import ClientScopedQuerySet


class AssetQuerySet(ClientScopedQuerySet):
    def available(self):
        """What creatives, matching and ``?available=true`` may offer: approved, with rights in force now.

        Rights in force is ``rights_state == valid``, kept current from the licence terms by the sync and by the
        lapse sweep (issue 5); everything else (pending, rejected, withdrawn, expired, unknown) never shows."""
        from .choices import ApprovalState, RightsState

        return self.filter(approval_state=ApprovalState.APPROVED, rights_state=RightsState.VALID)


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
