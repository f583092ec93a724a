"""Who the client is, behind reverse proxies: the peer address, unless the peer is a trusted proxy, in which case
the address that proxy reports (`X-Forwarded-For`, else `X-Real-IP`).

Only a trusted proxy's headers are read: anyone else can write any header. uvicorn's own proxy handling is off
(`galaxy serve` passes `proxy_headers=False`) so the peer address reaching the app is the real one.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from starlette.types import Scope

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(entries: Iterable[str]) -> list[Network]:
    """'10.0.0.5', '10.0.0.0/8', '::1': single addresses become one-address networks."""
    return [ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip()]


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    # ::ffff:10.0.0.1 is 10.0.0.1 for every purpose here (a dual-stack listener reports v4 peers that way).
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


class ClientAddress:
    """Resolves the client address of an ASGI request given the trusted proxies."""

    def __init__(self, trusted: Iterable[str]):
        self.trusted = parse_networks(trusted)

    def is_trusted(self, address: str) -> bool:
        ip = _ip(address)
        return ip is not None and any(ip.version == net.version and ip in net for net in self.trusted)

    def __call__(self, scope: Scope) -> str:
        peer = (scope.get("client") or ("unknown", 0))[0]
        if not self.trusted or not self.is_trusted(peer):
            return peer
        headers = [(k.lower(), v.decode("latin-1")) for k, v in scope.get("headers", [])]
        hops = [hop for k, v in headers if k == b"x-forwarded-for" for hop in v.split(",") if hop.strip()]
        if hops:
            return self._from_hops(hops, peer)
        real = [v for k, v in headers if k == b"x-real-ip"]
        if real and (ip := _ip(real[-1])) is not None:
            return str(ip)
        return peer

    def _from_hops(self, hops: list[str], peer: str) -> str:
        """The rightmost hop that is not a trusted proxy: the hops left of it were written by the client and
        prove nothing. A hop that is not an address stops the walk at the last proxy that was trusted."""
        last = peer
        for hop in reversed(hops):
            ip = _ip(hop)
            if ip is None:
                return last
            if not any(ip.version == net.version and ip in net for net in self.trusted):
                return str(ip)
            last = str(ip)
        return last
