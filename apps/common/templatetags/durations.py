"""How long something took or has waited, as people read it (the analytics page, a subject's stages)."""

from django import template

register = template.Library()


@register.filter
def duration(seconds) -> str:
    """Seconds as people read a wait: "45 min", "3 h 20 min", "2 d 4 h"; "—" when there is none."""
    if seconds is None or seconds == "":
        return "—"
    minutes = round(float(seconds) / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"
