"""Where a webhook may be delivered: the SSRF guard, and the HTTP session that connects only to checked addresses.

An integrator types the URL, so the portal must not become their way into its own network (the database, a cloud
metadata service at 169.254.169.254, an admin port on loopback). ``check`` refuses a URL whose host resolves to any
private, loopback, link-local, multicast, reserved or unspecified address (or any address not globally routable),
unless the operator allows private targets (``WEBHOOK_ALLOW_PRIVATE_TARGETS``) or the address lies in one of
``WEBHOOK_ALLOWED_CIDRS``. It runs when an endpoint is saved and again at every delivery.

DNS rebinding (a name that resolves to a public address when checked and to 127.0.0.1 when connected) is defeated
by connecting to the address that was checked: ``pinned_request`` sends the request to that IP, with the original
``Host`` header and, for https, the original name as TLS SNI and as the name the certificate must match.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter


class TargetRefused(ValueError):
    """The URL may not receive webhooks; the message says why, in words for the person who typed it."""


@dataclass(frozen=True)
class Target:
    """A URL that passed the checks, and the address it will be sent to."""

    url: str
    scheme: str
    host: str
    port: int
    address: str


def _allowed(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is loopback
    for network in settings.WEBHOOK_ALLOWED_CIDRS:
        if address in ipaddress.ip_network(network, strict=False):
            return True
    if settings.WEBHOOK_ALLOW_PRIVATE_TARGETS:
        return not (address.is_multicast or address.is_unspecified)
    special = (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )
    return address.is_global and not special


def check_url(url: str) -> tuple[str, str, int]:
    """The URL's form alone (no DNS): scheme, credentials, host. Returns ``(scheme, host, port)``."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise TargetRefused(f"This is not a valid URL: {exc}.") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise TargetRefused("The URL must start with https://.")
    if scheme != "https" and settings.WEBHOOK_REQUIRE_HTTPS:
        raise TargetRefused("Only https:// URLs may receive webhooks (payloads and signatures travel over TLS).")
    if parts.username or parts.password:
        raise TargetRefused("Put no user name or password in the URL; verify the signature instead.")
    if not parts.hostname:
        raise TargetRefused("The URL names no host.")
    return scheme, parts.hostname, port or (443 if scheme == "https" else 80)


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (an IP literal resolves to itself)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise TargetRefused(f"The host {host} could not be resolved ({exc}).") from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise TargetRefused(f"The host {host} has no address.")
    return addresses


def check(url: str) -> Target:
    """Refuse ``url`` unless every address its host resolves to may be reached; returns the address to connect to.
    All of them, not only the first: a name with one public and one private address could be steered to either."""
    scheme, host, port = check_url(url)
    addresses = resolve(host, port)
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if not _allowed(ip):
            raise TargetRefused(
                f"{host} resolves to {address}, a private, loopback or otherwise internal address: webhooks are "
                "delivered to public addresses only."
            )
    return Target(url=url, scheme=scheme, host=host, port=port, address=addresses[0])


class _PinnedTLSAdapter(HTTPAdapter):
    """Connects to an IP address but speaks TLS to the endpoint's name: SNI and certificate check use ``hostname``."""

    def __init__(self, hostname: str, **kwargs):
        self._hostname = hostname
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        kwargs["server_hostname"] = self._hostname
        kwargs["assert_hostname"] = self._hostname
        super().init_poolmanager(*args, **kwargs)


def pinned_request(target: Target, *, body: bytes, headers: dict[str, str], timeout: float) -> requests.Response:
    """POST ``body`` to ``target`` at the address that was checked; redirects are not followed (a redirect could
    point anywhere, the check would not have seen it)."""
    parts = urlsplit(target.url)
    ip = target.address
    netloc_ip = f"[{ip}]" if ":" in ip else ip
    default_port = 443 if target.scheme == "https" else 80
    netloc = f"{netloc_ip}:{target.port}"
    host_header = target.host if target.port == default_port else f"{target.host}:{target.port}"
    if ":" in target.host:  # an IPv6 literal keeps its brackets in the Host header
        host_header = f"[{target.host}]" + ("" if target.port == default_port else f":{target.port}")
    url = urlunsplit((target.scheme, netloc, parts.path or "/", parts.query, ""))
    with requests.Session() as session:
        session.trust_env = False  # a proxy from the environment would connect to the name, not the checked address
        if target.scheme == "https":
            session.mount("https://", _PinnedTLSAdapter(target.host))
        return session.post(
            url,
            data=body,
            headers={**headers, "Host": host_header},
            timeout=timeout,
            allow_redirects=False,
        )
