"""Start-up checks of the task-queue configuration (QUALITY.md scenario Q3).

django-q2 re-delivers a task whose ``retry`` interval passes while it still runs, retries forever with
``max_attempts = 0`` and never times a task out with ``timeout = None``; each of these has bitten real projects.
"""

from django.conf import settings
from django.core.checks import Error, register


@register()
def check_q_cluster(app_configs, **kwargs):
    conf = getattr(settings, "Q_CLUSTER", {})
    errors = []
    timeout, retry = conf.get("timeout"), conf.get("retry")
    if not timeout:
        errors.append(Error("Q_CLUSTER['timeout'] must be set: a hung task would hold a worker forever.", id="q2.E001"))
    elif not retry or timeout >= retry:
        errors.append(
            Error(
                f"Q_CLUSTER['timeout'] ({timeout}) must be below 'retry' ({retry}), or a slow task runs twice.",
                id="q2.E002",
            )
        )
    if not conf.get("max_attempts"):
        errors.append(Error("Q_CLUSTER['max_attempts'] must be set: 0 means retry forever.", id="q2.E003"))
    return errors
