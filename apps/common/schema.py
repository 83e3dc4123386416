"""The OpenAPI document's error answers: a schema class that declares the problem documents every operation gives.

Its own module: drf-spectacular's AutoSchema imports DRF's views, which read the settings that name classes of
:mod:`apps.common.api`, so the two cannot share a module.
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from .api import PROBLEM_CONTENT_TYPE
from .conditional import ConditionalListMixin

CONDITIONAL_PARAMETERS = [
    OpenApiParameter(
        "If-None-Match",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        description="The `ETag` of this page as you last read it: unchanged, it answers 304 with no body.",
    ),
    OpenApiParameter(
        "ETag",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        response=["200", "304"],
        description='A weak tag of this page for this caller (`W/"..."`); send it back in `If-None-Match`.',
    ),
]


class ProblemSerializer(serializers.Serializer):
    """The shape of every error the API answers (RFC 7807), for the OpenAPI document."""

    type = serializers.CharField(help_text="A URN naming the problem, e.g. urn:greenlight:problem:validation-error")
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    instance = serializers.CharField(help_text="The path the request was made to.")
    request_id = serializers.CharField(help_text="Quote it when you report a problem: the logs carry it.")
    errors = serializers.DictField(
        child=serializers.JSONField(), required=False, help_text="Validation errors by field (400 only)."
    )


class ProblemAutoSchema(AutoSchema):
    """drf-spectacular's schema, with the problem documents every operation can answer declared on it: 401, 403 and
    429 everywhere, 404 where the path names an object, 400 where the request carries a body or list parameters,
    and any code a view declares (409) given the problem body. A client generated from the document then knows the
    error shape, and a schema-driven test (Schemathesis) holds every answer against a declaration."""

    GENERIC = {
        "400": "The request is not valid; `errors` says which parameter or field and why.",
        "401": "No valid credentials (Authorization: Token <key>).",
        "403": "The credentials may not do this (token scope, role or client).",
        "404": "No such object among those the caller may see.",
        "429": "Too many requests; retry after `Retry-After` seconds.",
    }

    def _is_conditional_list(self) -> bool:
        return isinstance(self.view, ConditionalListMixin) and self._is_list_view() and self.method == "GET"

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        return [*parameters, *CONDITIONAL_PARAMETERS] if self._is_conditional_list() else parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if self._is_conditional_list():
            responses["304"] = {
                "description": "Not modified: the page is as the `ETag` in `If-None-Match` says (no body).",
                "headers": self._get_response_headers_for_code("304", direction),
            }
        codes = ["401", "403", "429"]
        if "{" in self.path:
            codes.append("404")
        if self.method in ("POST", "PUT", "PATCH") or self._is_list_view():
            codes.append("400")
        problem = self._get_response_for_code(ProblemSerializer, "400", [PROBLEM_CONTENT_TYPE], direction)["content"]
        for code in {*codes, *(c for c in responses if c[0] in "45")}:
            entry = responses.setdefault(code, {"description": self.GENERIC.get(code, "")})
            if not entry.get("description"):
                entry["description"] = self.GENERIC.get(code, "")
            entry["content"] = {**problem, **{k: v for k, v in entry.get("content", {}).items() if "problem" in k}}
        return dict(sorted(responses.items()))
