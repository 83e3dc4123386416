"""The inbox's rows as plain values, computed once per page in Python.

A row rendered from the task itself cost the template about 45 variable lookups (each through model attributes,
related objects and filters), three ``{% url %}`` reversals and an include: at 50 rows, 20-30 ms of a page that must
answer in 50 (bench/review.py). Here each row is a dict whose keys the template reads directly (a dict lookup is the
template engine's first and cheapest try), the action URLs are filled into one reversed pattern per page, and the
due badge, role labels and "who may sign" are decided here once. ``reviews/dashboard.html#task-row`` renders it,
for the whole list and for one row after a claim or a release.

A row's HTML is a function of its dict alone (the CSRF token aside), and most rows look the same on the next load
of the inbox (a team polls the same unassigned tasks): ``html`` keeps each process's last ``KEEP`` renderings by the
row's content, with a slot for the token that ``with_csrf`` fills once per page. A row whose task, cycle, licence
verdict, holder or due label moved has another dict, so it is drawn again.
"""

from __future__ import annotations

from django.conf import settings
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.urls import reverse

from apps.common.roles import RoleCode
from apps.reviews.templatetags.reviews import due_badge, role_label, role_labels
from apps.workflows import services as workflows
from apps.workflows.choices import TaskStatus

_PK = 987654321  # reversed once, then replaced by each row's id

ROLE_LABELS = dict(RoleCode.choices)
SUBJECT_ACTIONS = {"creative.creativerequest": "Open request", "assets.asset": "Open asset"}


class Urls:
    """The row actions' URLs for any task id, from one ``reverse`` each."""

    def __init__(self):
        self.patterns = {
            name: reverse(f"reviews:task_{name}", args=[_PK]).replace(str(_PK), "{}")
            for name in ("claim", "unclaim", "decide")
        }

    def __call__(self, name: str, pk: int) -> str:
        return self.patterns[name].format(pk)

    def subject(self, run) -> str:
        """``run.subject_url``: its flow's subject page (one ``<int:pk>`` route per flow), reversed once per page."""
        flow = run.flow
        if flow is None:
            return ""
        if flow.subject_page not in self.patterns:
            self.patterns[flow.subject_page] = reverse(flow.subject_page, args=[_PK]).replace(str(_PK), "{}")
        return self.patterns[flow.subject_page].format(run.subject_id)


def row(task, user, now, urls: Urls | None = None) -> dict:
    """What ``#task-row`` shows of ``task`` for ``user`` at ``now`` (annotations of ``views._annotate_rows`` and
    ``_with_progress`` when present: the asset's preview, "needs a reason", the cycle's progress)."""
    urls = urls or Urls()
    run = task.run
    is_open = task.status == TaskStatus.OPEN
    mine = task.assignee_id == user.pk
    signs = workflows.may_sign(task, user)
    badge = due_badge(task.due_at, now) if is_open else None
    asset = getattr(task, "asset", None)
    signatures = getattr(task, "signatures", None) or 0
    flow = run.flow
    return {
        "pk": task.pk,
        "version": task.version,
        "closed": not is_open,
        "open": is_open,
        "title": run.title or "(untitled)",
        "label": run.title or task.name,
        "run_title": run.title,
        "name": task.name,
        "subject_url": urls.subject(run),
        "preview_url": asset.preview_url if asset is not None else "",
        "progress": f"{task.signed} of {signatures} signed" if signatures > 1 else "",
        "for_whom": getattr(task, "for_whom", None),
        "needs_reason": bool(getattr(task, "needs_reason", False)),
        "client_name": task.client.name,
        "roles": [ROLE_LABELS.get(code) or role_label(code) for code in task.candidate_roles or []],
        "regions": [region.upper() for region in task.regions or []],
        "due_css": badge["css"] if badge else "",
        "due_label": badge["label"] if badge else "",
        "due_iso": task.due_at.isoformat() if task.due_at else "",
        "status_label": task.get_status_display(),
        "mine": mine,
        "holder_email": task.assignee_email,
        "signs": signs,
        "claim_url": urls("claim", task.pk) if is_open and signs and not task.assignee_email else "",
        "unclaim_url": urls("unclaim", task.pk) if is_open and mine else "",
        "signed_by": "" if mine or signs else f"Signed by {role_labels(task.candidate_roles) or 'its assignee'}",
        # decided on its subject's page (an asset, a request, a case), or in the panel of the inbox
        "subject_action": (
            SUBJECT_ACTIONS.get(run.subject_type, "Open case") if flow and flow.decided_on_subject_page else ""
        ),
        "decide_url": urls("decide", task.pk) if not task.assignee_email or mine else "",
    }


def rows(tasks, user, now) -> list[dict]:
    urls = Urls()
    return [row(task, user, now, urls) for task in tasks]


ROW_TEMPLATE = "reviews/dashboard.html#task-row"
# in a kept row's HTML, where ``with_csrf`` puts the page's token: with NUL characters, which no stored text holds
# (PostgreSQL refuses them in text), so a title can never be taken for it
CSRF_SLOT = "\x00greenlight-csrf\x00"
KEEP = 4096  # rows per process (about 2 kB each)
_DRAWN: dict[str, str] = {}


def html(shown: list[dict]) -> list[str]:
    """Each row of ``shown`` drawn by ``#task-row``, from this process's last renderings when its content is the same
    (not under ``DEBUG``, where templates change under a running process)."""
    drawn = []
    for row in shown:
        key = repr(row)
        found = None if settings.DEBUG else _DRAWN.get(key)
        if found is None:
            found = render_to_string(ROW_TEMPLATE, {"row": row, "csrf_token": CSRF_SLOT})
            if len(_DRAWN) >= KEEP:
                _DRAWN.clear()
            _DRAWN[key] = found
        drawn.append(found)
    return drawn


def with_csrf(response, request):
    """``response`` with the page's CSRF token in the rows' slots."""
    response.content = response.content.replace(CSRF_SLOT.encode(), get_token(request).encode())
    return response
