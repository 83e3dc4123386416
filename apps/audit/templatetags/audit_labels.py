from django import template

from ..labels import action_label as _action_label
from ..labels import humanize_key

register = template.Library()


@register.filter
def action_label(action: str) -> str:
    """``{{ event.action|action_label }}``: the audit action in words."""
    return _action_label(action)


@register.filter
def key_label(key: str) -> str:
    """``{{ value|key_label }}``: a stored key (a state, an outcome) in words when nothing better is known."""
    return humanize_key(key)
