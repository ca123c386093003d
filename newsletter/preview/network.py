"""Where the preview can be reached: loopback or the machine's own addresses and names, and its LAN address."""

from __future__ import annotations

import contextlib
import functools
import ipaddress
import socket
from urllib.parse import urlsplit

# Addresses whose route is looked up (a UDP connect sends nothing) to learn the machine's own LAN address.
_PROBES = (("10.254.254.254", 1), ("192.0.2.1", 1), ("198.51.100.1", 1))
_PROBES6 = (("2001:db8::1", 1),)


def is_loopback(host: str) -> bool:
    """Return True when host only accepts connections from this machine."""
    if host.lower() in {"localhost", "localhost."} or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def is_wildcard(host: str) -> bool:
    """Return True for an address that means every interface (0.0.0.0, ::, or none)."""
    return host.strip("[]") in {"", "0.0.0.0", "::"}


@functools.cache
def own_names() -> frozenset[str]:
    """Return the names this machine answers to: its host name, with .local (mDNS) and its full name."""
    names = {socket.gethostname()}
    with contextlib.suppress(OSError):
        names.add(socket.getfqdn())
    names |= {f"{name.split('.')[0]}.local" for name in list(names)}
    return frozenset(name.lower().rstrip(".") for name in names if name)


def host_allowed(header: str, local_address: str, bound: str) -> bool:
    """Return True when a request's Host names this server: loopback, or one of the machine's own addresses.

    A web page on another site can point its own host name at this machine (DNS rebinding); its requests
    then carry that name, which is refused, so it cannot read the preview. A server bound to loopback
    answers only loopback names; one bound beyond it also answers the address the request came in on and
    the machine's own names.
    """
    try:
        host = (urlsplit(f"//{header}").hostname or "").lower()
    except ValueError:
        return False
    if not header or is_loopback(host):
        return True
    if is_loopback(bound):
        return False
    if host.rstrip(".") in own_names():
        return True
    try:
        asked = ipaddress.ip_address(host)
        arrived = ipaddress.ip_address(local_address.split("%", maxsplit=1)[0])
    except ValueError:
        return False
    if isinstance(arrived, ipaddress.IPv6Address) and arrived.ipv4_mapped:
        arrived = arrived.ipv4_mapped
    return asked == arrived


def lan_addresses() -> set[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """Return this machine's non-loopback addresses that can be found without extra packages."""
    found: set[ipaddress.IPv4Address | ipaddress.IPv6Address] = set()
    for family, probes in ((socket.AF_INET, _PROBES), (socket.AF_INET6, _PROBES6)):
        for probe in probes:
            address = _route_address(family, probe)
            if address is not None:
                found.add(address)
                break
    with contextlib.suppress(OSError):
        for info in socket.getaddrinfo(socket.gethostname(), None):
            with contextlib.suppress(ValueError):
                address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
                if not address.is_loopback:
                    found.add(address)
    return found


def lan_url(host: str, port: int) -> str:
    """Return the address another device on the network opens for a server bound to host, or ''."""
    if is_loopback(host):
        return ""
    if not is_wildcard(host):
        name = host.strip("[]")
        return f"http://[{name}]:{port}/" if ":" in name else f"http://{name}:{port}/"
    found = sorted(lan_addresses(), key=lambda a: (a.version, str(a)))
    if host.strip("[]") == "0.0.0.0":
        found = [a for a in found if a.version == 4]
    if not found:
        return ""
    address = found[0]
    return f"http://[{address}]:{port}/" if address.version == 6 else f"http://{address}:{port}/"


def qr_text(url: str) -> str:
    """Return a QR code of url drawn with block characters, for a phone's camera to read off the terminal."""
    import io

    import segno

    out = io.StringIO()
    segno.make(url, error="m").terminal(out=out, compact=True, border=2)
    return out.getvalue().rstrip("\n")


def _route_address(family: int, probe: tuple[str, int]) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """Return the local address the machine would send to probe from, or None without a route."""
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            sock.connect(probe)
            address = ipaddress.ip_address(sock.getsockname()[0].split("%")[0])
    except (OSError, ValueError):
        return None
    return None if address.is_loopback or address.is_unspecified else address
