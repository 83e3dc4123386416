"""apps/common/forms.FormRenderer draws <select> in Python: the HTML must be what Django's templates give."""

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates

from apps.common.forms import FormRenderer


class Everything(forms.Form):
    plain = forms.ChoiceField(
        choices=[("", "Any <x>"), ("b", 'B "quoted" & more'), ("Group", [("c", "C"), ("d", "D")])]
    )
    many = forms.MultipleChoiceField(choices=[("1", "One"), ("2", "Two")], required=False)
    maybe = forms.NullBooleanField()
    styled = forms.ChoiceField(
        choices=[("x", "X")], widget=forms.Select(attrs={"class": 'a"b', "data-on": True, "data-off": False})
    )
    text = forms.CharField(required=False)


@pytest.mark.parametrize(
    "data", [{}, {"plain": "c", "many": ["1", "2"], "maybe": "true", "styled": "x"}, {"plain": "<"}]
)
def test_selects_render_as_djangos_templates_do(data):
    theirs, ours = Everything(data, renderer=DjangoTemplates()), Everything(data, renderer=FormRenderer())
    for name in Everything.base_fields:
        assert str(ours[name]) == str(theirs[name]), name
    assert "&lt;x&gt;" in str(ours["plain"]) and "&quot;quoted&quot; &amp; more" in str(ours["plain"])


def test_the_portal_uses_it(settings):
    from django.forms.renderers import get_default_renderer

    get_default_renderer.cache_clear()
    assert isinstance(get_default_renderer(), FormRenderer)
