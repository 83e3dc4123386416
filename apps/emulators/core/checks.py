from django.conf import settings
from django.core.checks import Warning as CheckWarning
from django.core.checks import register


@register(deploy=True)
def check_emulators_off(app_configs, **kwargs):
    if settings.EMULATORS and not settings.DEBUG:
        return [
            CheckWarning(
                "EMULATORS is on: the Smint.io and OpenText stand-ins are mounted and the clients point at them.",
                hint="Unset EMULATORS in production and set the real SMINTIO_* and OT_* variables.",
                id="greenlight.W001",
            )
        ]
    return []
