"""Conditional list pages: an ``ETag`` on every page of a list, and ``304 Not Modified`` to ``If-None-Match``.

An integrator polling a page that has not changed gets a 304 without the page being loaded or serialized: the
tag is computed first, in SQL, from the page's rows and the columns their representation depends on (a version or
``updated_at``, plus whatever a view adds: a related row's change time, a value that depends on the clock). Only
when it differs are the page's rows loaded, by id, and serialized.

The 304 is answered by ``list()``, after DRF has authenticated the caller, checked permissions and throttled, so a
304 costs one throttle slot like any request. The tag covers the caller (user, and the client a token is bound to),
the URL (so the page's own ``next``/``previous`` links) and the view's representation, so another principal, another
page or another version of the API never matches a stored tag. Tags are weak (``W/"..."``): the same rows give the
same tag, not necessarily the same bytes.
"""

from __future__ import annotations

import hashlib

from django.utils.cache import patch_vary_headers
from rest_framework import status
from rest_framework.response import Response

ETAG_VERSION = "1"  # raise when a representation changes without a field being added or removed


def own_columns(serializer_class) -> list[str]:
    """The fields of ``serializer_class`` that are its model's own columns (not relations, not computed): what a
    ``load_page`` reads with ``values()`` for them, so the columns follow the serializer instead of a copy of its
    field list."""
    model = serializer_class.Meta.model
    columns = {f.name for f in model._meta.concrete_fields if not f.is_relation}
    return [name for name in serializer_class.Meta.fields if name in columns]


def _matches(header: str, tag: str) -> bool:
    """RFC 9110 weak comparison of ``If-None-Match`` (a list of tags, or ``*``) with ``tag``."""
    if header.strip() == "*":
        return True
    opaque = tag.removeprefix("W/")
    return any(candidate.strip().removeprefix("W/") == opaque for candidate in header.split(","))


class ConditionalListMixin:
    """For a ``ListModelMixin`` viewset with cursor pagination: ``list()`` tags the page and answers 304 when the
    caller already holds it.

    ``etag_fields`` names the columns (``values()`` names, relations allowed) that, with the row's ``id``, decide
    its representation; ``etag_queryset(queryset)`` may annotate more (add their names to ``etag_fields``). The page
    is then loaded by the ids found with ``load_page`` (default: ``page_queryset(queryset)``, the view's queryset).
    """

    etag_fields: tuple[str, ...] = ()

    def etag_queryset(self, queryset):
        return queryset

    def page_queryset(self, queryset):
        return queryset

    def load_page(self, queryset, ids: list) -> list:
        """The page's rows, in the order of ``ids`` (one deleted meanwhile is left out)."""
        found = {obj.pk: obj for obj in self.page_queryset(queryset).filter(pk__in=ids).order_by()}
        return [found[pk] for pk in ids if pk in found]

    def _etag_salt(self) -> str:
        serializer = self.get_serializer_class()
        fields = getattr(getattr(serializer, "Meta", None), "fields", ())
        request = self.request
        user = request.user
        principal = f"{user.pk}:{getattr(user, 'token_client_id', '')}:{getattr(request.auth, 'pk', '')}"
        parts = [ETAG_VERSION, type(self).__qualname__, serializer.__qualname__, ",".join(fields), principal]
        return "|".join([*parts, request.build_absolute_uri()])

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        keys = self.etag_queryset(queryset.select_related(None).prefetch_related(None)).values("id", *self.etag_fields)
        page = self.paginate_queryset(keys)
        rows = list(keys) if page is None else page
        digest = hashlib.blake2b(self._etag_salt().encode(), digest_size=16)
        for row in rows:
            digest.update(repr(tuple(row.values())).encode())
        if page is not None:  # the links in the body (the paginator knows them once the page is read)
            digest.update(f"{self.paginator.get_next_link()}|{self.paginator.get_previous_link()}".encode())
        tag = f'W/"{digest.hexdigest()}"'
        if _matches(request.headers.get("If-None-Match", ""), tag):
            response = Response(status=status.HTTP_304_NOT_MODIFIED)
            response["ETag"] = tag
            patch_vary_headers(response, ["Authorization"])
            return response
        data = self.get_serializer(self.load_page(queryset, [row["id"] for row in rows]), many=True).data
        response = self.get_paginated_response(data) if page is not None else Response(data)
        response["ETag"] = tag
        patch_vary_headers(response, ["Authorization"])
        return response
