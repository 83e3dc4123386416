"""Answering without the 40 ms stall of small writes on a loopback socket.

``wsgiref`` (under Django's ``runserver``, its test live server and the emulators' standalone server) sends a
response's headers and its body in two writes. With Nagle's algorithm on, the body waits until the client has
acknowledged the headers, and a client that has nothing to send delays that acknowledgement (Linux: 40 ms). Every
small answer took ~40 ms more than its work: measured on the test live server, the emulators' calls averaged
60-80 ms; with ``TCP_NODELAY`` on each accepted socket, 23-36 ms (``docs/testing.md``). Production's gunicorn is not
concerned.
"""

from __future__ import annotations

import socket


class SendAtOnceMixin:
    """For a ``socketserver`` TCP server: turn Nagle's algorithm off on every connection it accepts."""

    def get_request(self):
        connection, address = super().get_request()
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection, address
