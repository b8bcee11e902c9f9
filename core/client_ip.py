"""The client's address, from one place for pages, the API, throttles and the audit trail.

`REMOTE_ADDR` is the peer that opened the connection. `X-Forwarded-For` is a header anyone can
send, so it is believed only as far as the deployment declares its own proxies
(`TRUSTED_PROXIES`: addresses or networks). Reading the header from the right, each hop that a
trusted proxy added is stepped over; the first address not in a trusted network is the client.
With no trusted proxies (the default) the header is ignored: a spoofed header never changes the
bucket a request is counted in.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import TYPE_CHECKING, TypeAlias

from django.conf import settings

if TYPE_CHECKING:
    from django.http import HttpRequest

Network: TypeAlias = ipaddress.IPv4Network | ipaddress.IPv6Network
Address: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    """`TRUSTED_PROXIES` entries as networks; raises ValueError naming a bad entry."""
    networks: list[Network] = []
    for value in values:
        value = value.strip()
        if not value:
            continue
        try:
            networks.append(ipaddress.ip_network(value, strict=False))
        except ValueError as error:
            raise ValueError(f"{value!r} is not an IP address or network ({error})") from None
    return tuple(networks)


_cache: dict[tuple[str, ...], tuple[Network, ...]] = {}


def _trusted_networks() -> tuple[Network, ...]:
    raw = tuple(settings.TRUSTED_PROXIES)
    if raw not in _cache:
        _cache.clear()
        _cache[raw] = parse_networks(raw)
    return _cache[raw]


def _address(value: str) -> Address | None:
    try:
        return ipaddress.ip_address(value.strip().strip("[]"))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str:
    """The client address of a Django or DRF request (a string, "" when unknown)."""
    meta = request.META
    remote = meta.get("REMOTE_ADDR", "") or ""
    networks = _trusted_networks()
    if not networks:
        return remote
    address = _address(remote)
    hops = [hop for hop in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    while address is not None and any(address in network for network in networks) and hops:
        address = _address(hops.pop())
    return str(address) if address is not None else remote
