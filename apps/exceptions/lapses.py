"""What lapses when: the rights of the viewer's clients' assets that end (or ended) in a window, with their state
in words and their open case, by week. The rights calendar page and the personal feed read it.

Reads ``Asset.rights_until`` as a bare column against constants computed here (never a function of the column), so
``asset_client_rights_until_idx`` (client, rights_until) serves every range.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from apps.assets.models import Asset
from apps.clients.models import Client
from apps.common.paging import ascending_page

from .models import Case
from .services import SETTLED

WINDOW_CHOICES = [("30", "Next 30 days"), ("90", "Next 90 days"), ("180", "Next 180 days"), ("365", "Next 12 months")]
DEFAULT_WINDOW = 90
# Rights that ended this recently and were not yet swept still show, as lapsed (the sweep runs every 15 minutes).
LOOKBACK = timedelta(days=30)
WEEK, MONTH = timedelta(days=7), timedelta(days=30)
PAGE_SIZE = 200


# -- states ---------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LapseState:
    """How near a lapse is, in words and a colour class (never colour alone)."""

    code: str  # lapsed / week / month / later
    css: str  # a ``due-*`` class
    label: str  # the state in words
    detail: str  # when, in words


def lapse_state(lapse_at: datetime, now: datetime) -> LapseState:
    local, today = timezone.localtime(lapse_at), timezone.localdate(now)
    days = (local.date() - today).days
    if lapse_at <= now:
        ago = -days
        when = "today" if ago == 0 else "yesterday" if ago == 1 else f"{ago} days ago"
        return LapseState("lapsed", "overdue", "Lapsed", f"Rights ended {when}")
    when = f"today at {local:%H:%M}" if days == 0 else "tomorrow" if days == 1 else f"in {days} days"
    if lapse_at - now <= WEEK:
        return LapseState("week", "today", "This week", f"Rights end {when}")
    if lapse_at - now <= MONTH:
        return LapseState("month", "soon", "This month", f"Rights end {when}")
    return LapseState("later", "later", "Later", f"Rights end on {local.day} {local:%b %Y}")


@dataclass
class Lapse:
    """One asset whose rights lapse (or lapsed), with its open case if any. ``awaiting_smintio``: the date is a
    renewal procurement recorded, which Smint.io has not confirmed with a new term yet."""

    asset: Asset
    lapse_at: datetime
    case: Case | None
    state: LapseState
    awaiting_smintio: bool = False


@dataclass
class Week:
    monday: date
    lapses: list[Lapse]
    is_current: bool


# -- reading ----------------------------------------------------------------------------------------------------------
def _assets(user, client: Client | None):
    assets = Asset.objects.visible_to(user).exclude(approval_state__in=SETTLED).select_related("client")
    if client is not None:
        assets = assets.filter(client=client)
    return assets.only(
        "id",
        "name",
        "content_element_uuid",
        "rights_until",
        "renewal_recorded_until",
        "updated_at",
        "client",
        "client__name",
    )


def _open_cases(user, asset_ids) -> dict[int, Case]:
    """The open case of each asset (the one due first when there are several)."""
    cases = Case.objects.visible_to(user).open().filter(asset_id__in=asset_ids).order_by("-due_at", "-id")
    return {case.asset_id: case for case in cases.only("id", "asset_id", "title", "due_at", "opened_at")}


def _lapsed_with_open_case(user, client: Client | None, now: datetime, since: datetime) -> list[Case]:
    """Open cases whose rights already lapsed and were swept (``rights_until`` is then cleared): they stay on the
    calendar, as lapsed, until the case is decided."""
    cases = (
        Case.objects.visible_to(user)
        .open()
        .filter(lapse_at__lte=now)
        .filter(Q(asset__rights_until__isnull=True) | Q(asset__rights_until__lt=since))
        .exclude(asset__approval_state__in=SETTLED)
        .select_related("asset", "asset__client")
        .order_by("lapse_at", "id")
    )
    if client is not None:
        cases = cases.filter(client=client)
    return list(cases[:PAGE_SIZE])


def lapses(user, *, client: Client | None, until: datetime, now: datetime, params=None, limit: int | None = None):
    """The lapses from ``now - LOOKBACK`` to ``until``, soonest first, and the page they came from (keyset by
    ``rights_until``; the lapsed cases whose rights were already swept come first on the first page)."""
    since = now - LOOKBACK
    rows = _assets(user, client).filter(rights_until__gte=since, rights_until__lt=until)
    page = ascending_page(rows, params or {}, field="rights_until", size=limit or PAGE_SIZE)
    found: list[tuple[Asset, datetime]] = []
    if page.is_first:
        found += [(case.asset, case.lapse_at) for case in _lapsed_with_open_case(user, client, now, since)]
    found += [(asset, asset.rights_until) for asset in page.items]
    seen, unique = set(), []
    for asset, lapse_at in found:
        if asset.pk not in seen:
            seen.add(asset.pk)
            unique.append((asset, lapse_at))
    cases = _open_cases(user, seen)
    items = []
    for asset, at in unique:
        # a recorded renewal moves the row to its new date at once, marked; one beyond the window leaves it
        renewed = asset.renewal_recorded_until
        if renewed is not None:
            if renewed >= until:
                continue
            at = renewed
        items.append(Lapse(asset, at, cases.get(asset.pk), lapse_state(at, now), awaiting_smintio=renewed is not None))
    items.sort(key=lambda item: item.lapse_at)
    return items, page


def by_week(items: list[Lapse], now: datetime) -> tuple[list[Lapse], list[Week]]:
    """Lapsed ones apart, the rest under the Monday of their week (in the viewer's time zone)."""
    this_monday = _monday(timezone.localdate(now))
    lapsed = sorted((item for item in items if item.state.code == "lapsed"), key=lambda item: item.lapse_at)
    weeks: dict[date, Week] = {}
    for item in items:
        if item.state.code == "lapsed":
            continue
        monday = _monday(timezone.localtime(item.lapse_at).date())
        weeks.setdefault(monday, Week(monday, [], monday == this_monday)).lapses.append(item)
    return lapsed, sorted(weeks.values(), key=lambda week: week.monday)


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())
