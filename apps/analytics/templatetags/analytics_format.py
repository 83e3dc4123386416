from django import template

register = template.Library()


@register.filter
def percent(rate) -> str:
    """A 0..1 rate as "87.5 %"; "—" when there is none (no task had a due date)."""
    if rate is None or rate == "":
        return "—"
    return f"{float(rate) * 100:.1f} %"
