def onboard_new() -> int:
    """The safety net of the ingest gate (after every pull): new DAM content of every client starts onboarding."""
    from .services import onboard_new as start

    return start()
