"""The asset library and the asset page.

The page shows the asset, its licences and the cases about it; what the apps above ``assets`` know about the asset
(its review runs and tasks, the conversation, the timeline, the licence check) comes from the providers they
register on ``apps.assets.pages``, since ``assets`` imports none of them.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, render
from django.views.decorators.vary import vary_on_headers

from apps.common.active_client import params_with_active_client
from apps.common.paging import keyset_page

from . import pages, rights, vocabulary
from .filtersets import AssetFilterSet
from .models import Asset, LicensePurchase, LicenseTerm
from .prefetch import with_licences


@login_required
@vary_on_headers("HX-Request")
def asset_list(request):
    """Every asset of the person's clients (or the active one), filtered, newest first, paged by keyset."""
    params = params_with_active_client(request)
    filterset = AssetFilterSet(
        params, queryset=Asset.objects.visible_to(request.user).select_related("client"), request=request
    )
    page = None
    if filterset.is_valid():
        page = keyset_page(filterset.qs, params, size=48)
        # "Available" always says where, for what, until when: from the licences' terms in force (two statements;
        # Django's prefetch cloned a queryset per asset and licence, 40 % of the page's time)
        with_licences(
            page.items,
            licences=LicensePurchase.objects.defer("raw", "license_text"),
            terms=LicenseTerm.objects.only(*rights.TERM_FIELDS),
        )
        rights.attach_limits(page.items)
    query = params.copy()
    query.pop("before", None)
    template = "assets/asset_list.html"
    if request.htmx and not request.htmx.boosted:
        template += "#results"
    return render(request, template, {"filter": filterset, "page": page, "query": query})


@login_required
def asset_detail(request, pk: int):
    """Preview, metadata, the licence in plain language, and what the apps above add (``pages.context``): the
    approval state and its tasks with the viewer's actions, the comments, the timeline."""
    return asset_page(request, pk)


def asset_page(request, pk: int, *, extra: dict | None = None, status: int = 200):
    """The asset page, with ``extra`` keys beside the providers' (a refused decision taken on it: the form that was
    used, what was typed, the message); the apps above show their refusals here (``Flow.refusal_page``)."""
    asset = get_object_or_404(
        vocabulary.with_vocabulary(Asset.objects.visible_to(request.user).select_related("client")).prefetch_related(
            Prefetch("license_purchases", queryset=LicensePurchase.objects.prefetch_related("terms"))
        ),
        pk=pk,
    )
    rights.attach_limits([asset])
    context = {**pages.context(request, asset), **(extra or {})}
    return render(request, "assets/asset_detail.html", context, status=status)
