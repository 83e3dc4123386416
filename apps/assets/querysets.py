from apps.common.querysets import ClientScopedQuerySet


class AssetQuerySet(ClientScopedQuerySet):
    pass


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
