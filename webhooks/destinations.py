"""Where a webhook may be sent: never to this machine, a private network or a cloud metadata
service (server-side request forgery), unless `WEBHOOK_ALLOWED_HOSTS` names the host.

The rule is checked when an endpoint is registered (API and admin) and again before every
delivery, on the addresses the URL's host resolves to at that moment, so a name that resolves to
127.0.0.1 (`localhost`), an odd spelling of an address (`2130706433`, `0x7f.1`, `127.1`) and a DNS
answer that changed since registration are all refused. The delivery then connects to exactly the
addresses it checked, never resolving the name a second time (DNS rebinding), while the Host
header and the TLS server name stay the URL's own name. Redirects are not followed.
"""

import http.client
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext, gettext_lazy

from core.errors import DomainError

DEFAULT_PORTS = {"http": 80, "https": 443}
INTERNAL_MESSAGE = gettext_lazy("Webhook URLs may not point to loopback, private or link-local addresses ({}).")


class RefusedDestination(DomainError):
    """A webhook URL that may not be used; `message` says why (shown to HR, kept on the Delivery)."""

    default_code = "refused_destination"

    def __init__(self, message):
        super().__init__(message, field="url")


@dataclass(frozen=True)
class Destination:
    scheme: str
    host: str  # ASCII (IDNA), without brackets: the Host header and the TLS server name
    port: int
    target: str  # path and query
    addresses: tuple  # ((family, sockaddr), ...): the checked addresses, the only ones connected to


def is_internal(address):
    """Whether `address` is one webhooks may not reach: anything but a public unicast address.
    IPv4-mapped IPv6 addresses are judged by the IPv4 address they reach; 6to4 ones by theirs too."""
    if address.version == 6:
        if address.ipv4_mapped is not None:
            return is_internal(address.ipv4_mapped)
        if address.sixtofour is not None and is_internal(address.sixtofour):
            return True
        if address.is_site_local:
            return True
    return (
        not address.is_global  # loopback, RFC 1918, fc00::/7, link-local, 100.64/10, unspecified, ...
        or address.is_multicast
        or address.is_reserved
        or address.is_link_local
        or address.is_loopback
        or address.is_unspecified
    )


def _allowed():
    """WEBHOOK_ALLOWED_HOSTS (validated at startup in config/settings.py): names and networks."""
    names, networks = set(), []
    for entry in settings.WEBHOOK_ALLOWED_HOSTS:
        entry = entry.strip().lower().removeprefix("[").removesuffix("]").rstrip(".")
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            names.add(entry)
    return names, networks


def _in_networks(address, networks):
    candidates = [address]
    if address.version == 6 and address.ipv4_mapped is not None:
        candidates.append(address.ipv4_mapped)
    return any(candidate in network for candidate in candidates for network in networks)


def _parse(url):
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise RefusedDestination(gettext("This webhook URL is not valid ({error}).").format(error=error)) from error
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise RefusedDestination(gettext("Webhook URLs must be http:// or https://."))
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise RefusedDestination(gettext("This webhook URL names no host."))
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError as error:
            raise RefusedDestination(
                gettext("The host name of this webhook URL is not valid ({error}).").format(error=error)
            ) from error
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return scheme, host, port or DEFAULT_PORTS[scheme], target


def resolve(url, *, resolve_allowed_names=True):
    """The checked destination of `url`, or RefusedDestination saying why it may not be used.

    Every address the host resolves to must be allowed: a name with one internal answer among
    public ones is refused, since the connection could pick it. A host named in
    WEBHOOK_ALLOWED_HOSTS may resolve to anything; at registration it is not even resolved
    (`resolve_allowed_names=False`: it may resolve only inside the workers' network)."""
    scheme, host, port, target = _parse(url)
    allowed_names, allowed_networks = _allowed()
    name_allowed = host.lower() in allowed_names
    if name_allowed and not resolve_allowed_names:
        return Destination(scheme, host, port, target, ())
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise RefusedDestination(
            gettext("The host name {host} does not resolve ({error}).").format(host=host, error=error)
        ) from error
    addresses = []
    for family, _type, _proto, _canonical_name, sockaddr in answers:
        address = ipaddress.ip_address(sockaddr[0])
        if not name_allowed and is_internal(address) and not _in_networks(address, allowed_networks):
            shown = str(address) if host == str(address) else f"{host} resolves to {address}"
            raise RefusedDestination(INTERNAL_MESSAGE.format(shown))
        if (family, sockaddr) not in addresses:
            addresses.append((family, sockaddr))
    if not addresses:
        raise RefusedDestination(gettext("The host name {host} does not resolve.").format(host=host))
    return Destination(scheme, host, port, target, tuple(addresses))


def check(url):
    """At registration: raise RefusedDestination unless `url` may receive webhooks."""
    resolve(url, resolve_allowed_names=False)


def _connect(addresses, timeout):
    """A TCP connection to the first of the checked addresses that answers."""
    last_error = OSError("no address to connect to")
    for family, sockaddr in addresses:
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(timeout)
            sock.connect(sockaddr)
            return sock
        except OSError as error:
            sock.close()
            last_error = error
    raise last_error


class _CheckedHTTPConnection(http.client.HTTPConnection):
    """Connects to `checked_addresses` instead of resolving `host` again; the Host header is still
    built from `host`."""

    checked_addresses = ()

    def connect(self):
        self.sock = _connect(self.checked_addresses, self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _CheckedHTTPSConnection(http.client.HTTPSConnection, _CheckedHTTPConnection):
    """HTTPSConnection.connect() calls super().connect() (the checked connection above), then wraps
    the socket with TLS for `host`: the certificate is verified against the URL's name (SNI)."""


def post(destination, *, body, headers, timeout):
    """POST `body` to a destination from `resolve`; returns the response status. Redirects are
    not followed (a 3xx is an answer like any other). Network errors raise OSError or
    http.client.HTTPException."""
    connection_class = _CheckedHTTPSConnection if destination.scheme == "https" else _CheckedHTTPConnection
    connection = connection_class(destination.host, destination.port, timeout=timeout)
    connection.checked_addresses = destination.addresses
    try:
        connection.request("POST", destination.target, body=body, headers=headers)
        return connection.getresponse().status
    finally:
        connection.close()
