"""How forms draw their fields.

Django draws a ``<select>`` through three templates: the select, and for each option an include of the option and of
its attributes. A list page's filter form (the inbox: client, region, role, process, due) has about 40 options, so
drawing it took more time than the page's queries. ``FormRenderer`` draws selects in Python, to the same HTML the
templates give; every other widget is drawn by Django's templates as before.
"""

from __future__ import annotations

from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe


class DateInput(forms.DateInput):
    """A browser's date picker (``type="date"``), given its value as ``YYYY-MM-DD``, the only form it accepts:
    with the locale's format a default or kept date showed as an empty field."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


SELECT = "django/forms/widgets/select.html"
OPTION = "django/forms/widgets/select_option.html"


def _attrs(attrs: dict) -> str:
    """As ``django/forms/widgets/attrs.html``: ``False`` leaves a name out, ``True`` writes it bare."""
    return "".join(
        f" {conditional_escape(name)}"
        if value is True
        else f' {conditional_escape(name)}="{conditional_escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _option(option: dict) -> str:
    return (
        f'<option value="{conditional_escape(option["value"])}"{_attrs(option["attrs"])}>'
        f"{conditional_escape(option['label'])}</option>"
    )


def render_select(widget: dict) -> str:
    """``widget`` (a ``Select``'s context) as ``django/forms/widgets/select.html`` renders it."""
    parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
        for option in options:
            parts.append("\n  " + _option(option) + "\n")  # the option template ends with a newline
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped


class FormRenderer(DjangoTemplates):
    def render(self, template_name, context, request=None):
        widget = context.get("widget")
        if (
            template_name == SELECT
            and widget
            and all(
                option.get("template_name") == OPTION for _, options, _ in widget["optgroups"] for option in options
            )
        ):
            return render_select(widget)
        return super().render(template_name, context, request)
