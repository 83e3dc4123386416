from apps.common.querysets import ClientScopedQuerySet


class CampaignQuerySet(ClientScopedQuerySet):
    """Campaigns of the clients a person is an internal member of; never shared with external members."""


class CampaignPartQuerySet(ClientScopedQuerySet):
    """Rows of a campaign (its regions, assets and cells): seen where the campaign is."""

    client_field = "campaign__client"


class CellQuerySet(ClientScopedQuerySet):
    client_field = "campaign_asset__campaign__client"
