from django.db.models import BooleanField, ExpressionWrapper, Prefetch
from rest_framework import viewsets

from ..filtersets import AssetFilterSet
from ..models import Asset, LicensePurchase
from ..querysets import available_condition
from .serializers import AssetDetailSerializer, AssetSerializer


class AssetViewSet(viewsets.ReadOnlyModelViewSet):
    """The caller's clients' assets, newest first; ``?available=true`` is what creatives may use. The detail adds
    the licences with their terms."""

    filterset_class = AssetFilterSet
    ordering = "-id"

    def get_queryset(self):
        # ``available`` comes from the one definition of it (``available_condition``), computed by the database.
        assets = (
            Asset.objects.visible_to(self.request.user)
            .select_related("client")
            .annotate(available_now=ExpressionWrapper(available_condition(), output_field=BooleanField()))
        )
        if self.action == "retrieve":
            licences = LicensePurchase.objects.prefetch_related("terms")
            assets = assets.prefetch_related(Prefetch("license_purchases", queryset=licences))
        return assets

    def get_serializer_class(self):
        return AssetDetailSerializer if self.action == "retrieve" else AssetSerializer
