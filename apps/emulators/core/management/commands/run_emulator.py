"""Run one emulator on its own port, its routes at the root (as on the real hosts of platforms.md)."""

import importlib

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.management.base import BaseCommand

from apps.emulators.core.standalone import serve

URLCONFS = {"smintio": "apps.emulators.smintio.standalone_urls", "opentext": "apps.emulators.opentext.standalone_urls"}


class _EmulatorHandler(WSGIHandler):
    def __init__(self, urlconf: str):
        super().__init__()
        self.urlconf = urlconf

    def get_response(self, request):
        request.urlconf = self.urlconf
        from django.urls import set_urlconf

        set_urlconf(self.urlconf)
        return super().get_response(request)


class Command(BaseCommand):
    help = "Serve the Smint.io or OpenText emulator alone on a port (tables of the current DATABASE_URL)."

    def add_arguments(self, parser):
        parser.add_argument("emulator", choices=sorted(URLCONFS))
        parser.add_argument("--port", type=int, required=True)
        parser.add_argument("--host", default="127.0.0.1")

    def handle(self, *args, emulator, port, host, **options):
        importlib.import_module(URLCONFS[emulator])  # fail fast on a broken urlconf
        if not settings.DEBUG:
            self.stderr.write("Note: DEBUG is off; the emulator is a test double, never a production service.")
        self.stdout.write(f"{emulator} emulator on http://{host}:{port}/ (Ctrl-C stops it)", ending="\n")
        self.stdout.flush()
        serve(_EmulatorHandler(URLCONFS[emulator]), host, port)
