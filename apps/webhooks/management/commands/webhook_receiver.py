"""A local webhook receiver that verifies each delivery with the reference ``standardwebhooks`` library and prints
what came: the way to see, with ``make run`` going, that a test event arrives signed (docs/webhooks.md)."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.core.management.base import BaseCommand
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError


class Command(BaseCommand):
    help = "Receive webhooks on 127.0.0.1:PORT and verify their signatures with the endpoint's secret."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=9009)
        parser.add_argument("--secret", action="append", required=True, help="whsec_...; repeat for a rotation")
        parser.add_argument("--status", type=int, default=204, help="the status to answer (e.g. 500 to see retries)")
        parser.add_argument("--max", dest="limit", type=int, default=0, help="stop after N deliveries (0: never)")

    def handle(self, *args, port: int, secret: list[str], status: int, limit: int, **options):
        command = self
        received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                verdicts = []
                for key in secret:
                    try:
                        Webhook(key).verify(body, dict(self.headers.items()))
                        verdicts.append("valid")
                    except WebhookVerificationError as exc:
                        verdicts.append(f"INVALID ({exc})")
                kind = json.loads(body or b"{}").get("type", "?")
                command.stdout.write(
                    f"{self.headers.get('webhook-id')} {kind}: signature {', '.join(verdicts)}; answered {status}"
                )
                command.stdout.write(body.decode(errors="replace"))
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()
                received.append(kind)

            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.stdout.write(f"Listening on http://127.0.0.1:{port}/ (Ctrl-C stops)")
        try:
            while not limit or len(received) < limit:
                server.handle_request()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
