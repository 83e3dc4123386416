"""What each audit action is called in words, for the audit page, its filter and its detail page.

Keys are ``<app>.<noun>.<verb>`` (``services.record``); the trail stores the key, people read the label. A key
missing here (a new action, or one built from an outcome) is humanised rather than shown raw.
"""

from __future__ import annotations

ACTION_LABELS: dict[str, str] = {
    "accounts.apitoken.create": "API token created",
    "accounts.apitoken.revoke": "API token revoked",
    "accounts.user.change_password": "Password changed",
    "accounts.user.login": "Signed in",
    "accounts.user.logout": "Signed out",
    "accounts.user.reset_password": "Password reset",
    "accounts.user.update_profile": "Profile updated",
    "assets.asset.rights_change": "Asset rights changed",
    "assets.license.cancel": "Licence cancelled",
    "clients.client.update_policies": "Client policies changed",
    "exceptions.calendar_feed.rotate": "Calendar feed address renewed",
    "exceptions.calendar_feed.stop": "Calendar feed stopped",
    "exceptions.case.open": "Case opened",
    "exceptions.case.close": "Case closed",
    "exceptions.case.escalate": "Case escalated",
    "exceptions.case.renewed": "Case decided: renewed",
    "exceptions.case.take_down": "Case decided: take down",
    "exceptions.case.replace": "Case decided: replace",
    "exceptions.case.accept": "Case decided: accepted",
    "exceptions.case.dismiss": "Case decided: dismissed",
    "exceptions.rule.update": "Compliance rule changed",
    "integrations.outbox.discard": "Call to a platform discarded",
    "integrations.outbox.retry": "Call to a platform retried",
    "integrations.outbox.withdraw": "Call to a platform withdrawn",
    "integrations.smintio.bootstrap": "Smint.io connection set up",
    "integrations.smintio.connect": "Smint.io connected",
    "integrations.smintio.connect_fail": "Smint.io connection failed",
    "integrations.smintio.connect_start": "Smint.io connection started",
    "integrations.smintio.connected": "Smint.io connected",
    "integrations.smintio.disconnect": "Smint.io disconnected",
    "integrations.smintio.sync_now": "Smint.io sync started by hand",
    "reviews.asset.approve": "Asset approved",
    "reviews.asset.approved": "Asset approved",
    "reviews.asset.reject": "Asset rejected",
    "reviews.asset.rejected": "Asset rejected",
    "reviews.asset.changes_requested": "Changes requested on the asset",
    "reviews.asset.change_state": "Asset approval state changed",
    "reviews.asset.cycle_cancelled": "Approval cycle cancelled",
    "reviews.asset.in_review": "Asset sent for review",
    "reviews.asset.outcome_not_applied": "Approval outcome not applied",
    "reviews.asset.outcome_unknown": "Approval outcome not understood",
    "reviews.asset.resubmit": "Asset resubmitted",
    "sharing.share.create": "Shared with an external member",
    "sharing.share.extend": "Share extended",
    "sharing.share.revoke": "Share revoked",
    "workflows.comment.create": "Comment added",
    "workflows.decision.not_applied": "Decision not applied",
    "workflows.run.running": "Workflow running",
    "workflows.run.start": "Workflow started",
    "workflows.task.approved": "Task approved",
    "workflows.task.rejected": "Task rejected",
    "workflows.task.changes_requested": "Task: changes requested",
    "workflows.task.cancel": "Task cancelled",
    "workflows.task.claim": "Task claimed",
    "workflows.task.complete": "Task completed",
    "workflows.task.lost_race": "Task taken by someone else first",
    "workflows.task.unclaim": "Task released",
}

APP_LABELS: dict[str, str] = {
    "accounts": "People and tokens",
    "assets": "Assets and licences",
    "clients": "Clients",
    "exceptions": "Cases and compliance",
    "integrations": "Platforms",
    "reviews": "Reviews",
    "sharing": "Sharing",
    "workflows": "Workflows and tasks",
}


def humanize_key(key: str) -> str:
    """``changes_requested`` -> "Changes requested"; the last resort for a key nobody labelled."""
    return str(key or "").replace("_", " ").replace(".", " ").strip().capitalize()


def action_label(action: str) -> str:
    """The words for an audit action: its label, else "<noun>: <verb>" humanised from the key."""
    if action in ACTION_LABELS:
        return ACTION_LABELS[action]
    parts = str(action or "").split(".")
    if len(parts) == 3:
        return f"{humanize_key(parts[1])}: {parts[2].replace('_', ' ')}"
    return humanize_key(action)


def action_choices() -> list[tuple[str, object]]:
    """The action filter's choices, grouped by app: a whole app (its key prefix) first, then each action."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for key, label in sorted(ACTION_LABELS.items(), key=lambda item: item[1]):
        groups.setdefault(key.split(".", 1)[0], []).append((key, label))
    choices: list[tuple[str, object]] = [("", "Any action")]
    for app in sorted(groups, key=lambda app: APP_LABELS.get(app, app)):
        name = APP_LABELS.get(app, humanize_key(app))
        choices.append((name, [(f"{app}.", f"All: {name.lower()}"), *groups[app]]))
    return choices
