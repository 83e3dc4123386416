"""``runserver`` (WhiteNoise's, which leaves static files to the middleware) with ``TCP_NODELAY`` on each
connection: the page's HTML, every static file and each call of the worker to the in-process emulators arrived
~40 ms late (``apps/common/servers.py``)."""

from django.core.servers.basehttp import WSGIServer
from whitenoise.runserver_nostatic.management.commands.runserver import Command as WhiteNoiseRunserver

from apps.common.servers import SendAtOnceMixin


class _Server(SendAtOnceMixin, WSGIServer):
    pass


class Command(WhiteNoiseRunserver):
    server_cls = _Server
