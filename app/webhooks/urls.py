"""Where a webhook may be sent: never, by default, to this machine, a private network or a metadata service.

A subscription's URL is checked when it is created or changed (422), and its host is resolved and
every address checked again before each attempt (DNS may have changed since). Refused: every
address that is not global (loopback, private, link-local, shared/CGNAT, reserved, unspecified),
multicast, and the cloud metadata addresses. WEBHOOKS_ALLOW_PRIVATE=true (tests, local development)
lets the non-global ones through, never multicast, unspecified or metadata addresses.

Known gap: httpx resolves the name again when it connects, so a name that answers a public address
to this check and a private one a moment later (DNS rebinding) could still get through; pinning the
checked address into the connection (with TLS SNI kept) is left for later.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Instance metadata services (AWS/GCP/Azure/OpenStack, AWS IPv6, ECS task metadata, Alibaba).
METADATA = frozenset(ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "169.254.170.2", "100.100.100.200"))


class Refused(ValueError):
    """The URL or one of its addresses may not receive webhooks."""


def url_problem(url: str) -> str | None:
    """What is wrong with the URL's form (None: fine); no resolution."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return f"not a valid URL ({exc})"
    if parts.scheme not in ("http", "https"):
        return "must be an http:// or https:// URL"
    if not parts.hostname:
        return "has no host"
    if parts.username is not None or parts.password is not None:
        return "must not carry a user name or password (put credentials in the path or rely on the signature)"
    if port == 0:
        return "port 0 is not a port"
    return None


def address_allowed(address: IPAddress, allow_private: bool) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address in METADATA or address.is_multicast or address.is_unspecified:
        return False
    return address.is_global or allow_private


def check_host(host: str, port: int, allow_private: bool) -> list[IPAddress]:
    """Every address the host resolves to, each allowed; else Refused naming the first refused one."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise Refused(f"the host {host!r} does not resolve ({exc})") from exc
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    for address in addresses:
        if not address_allowed(address, allow_private):
            raise Refused(
                f"the host {host!r} resolves to {address}, a loopback, private, link-local, reserved or metadata "
                "address: refused (WEBHOOKS_ALLOW_PRIVATE=true allows the non-metadata ones, for development)"
            )
    if not addresses:
        raise Refused(f"the host {host!r} has no address")
    return addresses


def check_url(url: str, allow_private: bool) -> None:
    """Refused when the URL's form is wrong or its host resolves to an address not allowed."""
    problem = url_problem(url)
    if problem:
        raise Refused(problem)
    parts = urlsplit(url)
    check_host(parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80), allow_private)
