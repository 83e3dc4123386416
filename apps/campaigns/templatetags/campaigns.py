from django import template

register = template.Library()


@register.filter
def values_of(data, name: str) -> list:
    """Every value a form sent under ``name`` (a QueryDict's ``getlist``; a dict's list), so checkboxes keep their
    ticks after a refusal."""
    if data is None:
        return []
    if hasattr(data, "getlist"):
        return data.getlist(name)
    value = data.get(name) if hasattr(data, "get") else None
    return value if isinstance(value, list) else ([value] if value else [])
