"""Development only (``portal/settings/dev.py`` installs it): ``runserver`` as WhiteNoise wraps it, answering without
the 40 ms stall of each small response (``apps/common/servers.py``)."""
