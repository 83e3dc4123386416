"""A small threaded WSGI server for one emulator on its own port, able to drop connections on request."""

from __future__ import annotations

import socket
import socketserver
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer

from apps.common.servers import SendAtOnceMixin

from .faults import DROP_HEADER


class _Dropped(Exception):
    pass


class _ServerHandler(ServerHandler):
    def log_exception(self, exc_info):
        if not isinstance(exc_info[1], _Dropped):  # a drop is what was asked for, not an error
            super().log_exception(exc_info)


class _Handler(WSGIRequestHandler):
    def log_message(self, format, *args):  # quiet: the emulator logs its calls in RequestLog
        pass

    def handle(self):
        self.raw_requestline = self.rfile.readline(65537)
        if len(self.raw_requestline) > 65536 or not self.parse_request():
            return
        handler = _ServerHandler(self.rfile, self.wfile, self.get_stderr(), self.get_environ(), multithread=True)
        handler.request_handler = self
        connection = self.connection

        def app(environ, start_response):
            def guarded_start_response(status, headers, exc_info=None):
                if any(name.lower() == DROP_HEADER.lower() for name, _ in headers):
                    connection.shutdown(socket.SHUT_RDWR)
                    raise _Dropped()
                return start_response(status, headers, exc_info)

            return self.server.get_app()(environ, guarded_start_response)

        try:
            handler.run(app)
        except (_Dropped, OSError):
            self.close_connection = True


class ThreadedWSGIServer(SendAtOnceMixin, socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


def serve(app, host: str, port: int) -> None:
    server = ThreadedWSGIServer((host, port), _Handler)
    server.set_app(app)
    try:
        server.serve_forever()
    finally:
        server.server_close()
