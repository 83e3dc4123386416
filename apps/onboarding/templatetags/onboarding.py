"""Template helpers of the onboarding forms."""

from django import template

register = template.Library()


@register.filter
def typed(values, name: str):
    """What was typed in the field ``name`` (a refused form's POST), or None when the form was not sent: a field
    named at run time (``keywords_de``), which the template language cannot look up by itself."""
    if not values or not hasattr(values, "get"):
        return None
    return values.get(name)
