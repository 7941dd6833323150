"""Posting to outbound webhooks, and the rules that keep it from reaching inside our network.

An admin configures a webhook's address, but the worker that posts to it sits inside the
network, next to the database, the cache and the cloud's metadata service. So every destination
is vetted before a byte is sent (`destination_vet`), by these rules:

* `https://` only; plain `http://` only to what BACKLIGHT_WEBHOOK_ALLOWED_HOSTS allows (a host
  named there, or a host whose every address lies in a network listed there). No user name or
  password in the address, no port outside 1–65535.
* A host written as a number in any form but the canonical one ("2130706433", "0177.0.0.1",
  "0x7f.1", "127.1") is refused: resolvers read those as addresses, and people do not.
* Every address the host stands for — the literal IP, or each address its name resolves to —
  must be public: not private, loopback, link-local, carrier-grade NAT, multicast, reserved,
  unspecified, documentation or benchmarking space, in IPv4 or IPv6. An IPv6 address that embeds
  an IPv4 one (IPv4-mapped `::ffff:a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) is judged
  by the IPv4 address inside; IPv4-compatible `::a.b.c.d`, Teredo and site-local are refused.
  One refused address refuses the name, even if others are public.
* The name is resolved once, here; the connection goes to the vetted IP, with the name in the
  Host header and in TLS (SNI and certificate check). A DNS answer that changes between the
  check and the connection (rebinding) therefore changes nothing.
* Redirects are not followed automatically. 307 and 308 (which keep the method and the body)
  are followed by hand, at most MAX_REDIRECTS times, each target vetted by the same rules, and
  never from https down to http; 301, 302 and 303 would turn the POST into a GET and lose the
  payload, so they fail the delivery with the new address in the error, for an admin to update.

BACKLIGHT_WEBHOOK_ALLOWED_HOSTS (empty by default) lets a test or an on-premise install reach
hosts these rules refuse: an entry that is an IP address or network ("127.0.0.1",
"10.20.0.0/16") allows those addresses, whatever name led to them; any other entry is a host name
("hooks.corp.example") whose every address is then allowed. Prefer addresses: a name allows
whatever its DNS says.

The resolver, `host_resolve`, is the seam for tests: patch it (not the HTTP layer) to make a name
resolve to whatever a test needs, with no network.

Payloads are signed by `roadmap.sharing.signing`.
"""

import http.client
import ipaddress
import logging
import re
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from django.conf import settings

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT = 5.0  # seconds to open the TCP connection
READ_TIMEOUT = 10.0  # seconds any one read (TLS handshake, status, headers, body) may wait
MAX_REDIRECTS = 3
EXCERPT_CHARS = 300  # of a failed response's body, kept on the delivery for the admin

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_REFUSED_V4 = tuple(
    ipaddress.IPv4Network(net)
    for net in (
        "0.0.0.0/8",  # "this network", including the unspecified address
        "10.0.0.0/8",  # private
        "100.64.0.0/10",  # carrier-grade NAT
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link-local, where cloud metadata services answer
        "172.16.0.0/12",  # private
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation
        "192.88.99.0/24",  # 6to4 relay anycast
        "192.168.0.0/16",  # private
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # documentation
        "203.0.113.0/24",  # documentation
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, and the broadcast address
    )
)
_REFUSED_V6 = tuple(
    ipaddress.IPv6Network(net)
    for net in (
        "::/96",  # unspecified, loopback and the deprecated IPv4-compatible addresses
        "64:ff9b:1::/48",  # NAT64 for local use
        "100::/64",  # discard
        "2001::/23",  # IETF protocol assignments, Teredo among them
        "2001:db8::/32",  # documentation
        "3fff::/20",  # documentation
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local (deprecated, still routed by some stacks)
        "ff00::/8",  # multicast
    )
)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
# Python before 3.11.10 misjudges some of these (is_global is True for multicast and site-local
# IPv6, IPv4-mapped loopback is not is_loopback), hence the explicit lists above; the flags are
# checked as well, for what the lists may miss.
_HOST_LABEL = re.compile(r"^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$")
_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")


_PLAIN_HTTP = "plain http:// only to hosts in BACKLIGHT_WEBHOOK_ALLOWED_HOSTS; use https://"


class WebhookRefused(Exception):
    """A destination the rules above forbid. Never retried: the address itself is the problem."""


@dataclass(frozen=True)
class Destination:
    """A vetted destination: connect to `ip`, speak to `host`."""

    url: str
    scheme: str
    host: str  # the name (or literal) as sent in Host and SNI
    port: int
    target: str  # path and query
    ip: str


@dataclass(frozen=True)
class PostResult:
    delivered: bool
    status: int | None = None
    error: str = ""
    permanent: bool = False  # retrying cannot help (refused address, redirect not followed)


# --- the resolver seam ------------------------------------------------------------------------


def host_resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to, for TCP. The one place Backlight's webhooks ask DNS;
    tests patch this function."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys(info[4][0] for info in infos))


# --- the rules --------------------------------------------------------------------------------


def _allowed_entries() -> tuple[set[str], list[IPNetwork]]:
    names: set[str] = set()
    networks: list[IPNetwork] = []
    for entry in settings.BACKLIGHT_WEBHOOK_ALLOWED_HOSTS:
        entry = str(entry).strip().lower().strip("[]")
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            names.add(entry.rstrip("."))
    return names, networks


def _embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    if ip.version != 6:
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip.sixtofour


def ip_refusal(ip: IPAddress) -> str | None:
    """Why `ip` may not be posted to, or None when it is a public address."""
    embedded = _embedded_ipv4(ip)
    if embedded is not None:
        reason = ip_refusal(embedded)
        return f"{ip} embeds {embedded}: {reason}" if reason else None
    if getattr(ip, "scope_id", None):
        return f"{ip} is a scoped (link-local) address"
    refused = _REFUSED_V4 if ip.version == 4 else _REFUSED_V6
    if any(ip in network for network in refused):
        return f"{ip} is not a public address"
    if (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or (ip.version == 6 and ip.is_site_local)
        or not ip.is_global
    ):
        return f"{ip} is not a public address"
    return None


def _ip_allowed(ip: IPAddress, networks: list[IPNetwork]) -> bool:
    candidates = [ip]
    embedded = _embedded_ipv4(ip)
    if embedded is not None:
        candidates.append(embedded)
    return any(
        candidate in network
        for candidate in candidates
        for network in networks
        if candidate.version == network.version
    )


def _literal_ip(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _host_name_check(host: str) -> str:
    """The host as an ASCII DNS name, or WebhookRefused for what is not one (or hides a number)."""
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError as error:
        raise WebhookRefused(f"{host!r} is not a valid host name") from error
    labels = ascii_host.rstrip(".").split(".")
    if not labels or not all(_HOST_LABEL.match(label) for label in labels):
        raise WebhookRefused(f"{host!r} is not a valid host name")
    # A name whose last label is a number is read as an IPv4 address by URL parsers and
    # resolvers (inet_aton takes "2130706433", "0177.0.0.1", "0x7f.1", "127.1"); people do not
    # read it so, so it is refused rather than resolved.
    if _NUMERIC_LABEL.match(labels[-1]) or _inet_aton_accepts(ascii_host):
        raise WebhookRefused(f"{host!r} is an IPv4 address in a non-canonical form")
    return ascii_host.rstrip(".")


def _inet_aton_accepts(host: str) -> bool:
    try:
        socket.inet_aton(host)
    except OSError:
        return False
    return True


@dataclass(frozen=True)
class _Parsed:
    url: str
    scheme: str
    host: str
    port: int
    target: str
    literal: IPAddress | None


def _parse(url: str) -> _Parsed:
    if not isinstance(url, str) or any(ord(char) < 33 or ord(char) == 127 for char in url):
        raise WebhookRefused("the address holds spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise WebhookRefused(f"not a valid address: {error}") from error
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise WebhookRefused("only http:// and https:// addresses can be posted to")
    if parts.username is not None or parts.password is not None:
        raise WebhookRefused("the address may not hold a user name or password")
    raw_host = parts.hostname or ""
    if not raw_host:
        raise WebhookRefused("the address has no host")
    literal = _literal_ip(raw_host)
    if literal is None and parts.netloc.rsplit("@", 1)[-1].startswith("["):
        raise WebhookRefused(f"{raw_host!r} is not a valid IPv6 address")
    host = str(literal) if literal is not None else _host_name_check(raw_host)
    if port is None:
        port = 443 if scheme == "https" else 80
    if not 0 < port < 65536:
        raise WebhookRefused("the port is out of range")
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    if not target.isascii():
        raise WebhookRefused("the path must be ASCII (percent-encode the rest)")
    return _Parsed(url=url, scheme=scheme, host=host, port=port, target=target, literal=literal)


def webhook_url_check(url: str) -> None:
    """The rules that need no DNS, for forms and services that save an address: raises
    WebhookRefused. The sender checks again, with DNS, at every attempt."""
    parsed = _parse(url)
    names, networks = _allowed_entries()
    host_allowed = parsed.host in names
    if parsed.literal is not None and not host_allowed:
        host_allowed = _ip_allowed(parsed.literal, networks)
        if not host_allowed and (reason := ip_refusal(parsed.literal)):
            raise WebhookRefused(reason)
    if parsed.literal is None and not host_allowed:
        if parsed.host == "localhost" or parsed.host.endswith(".localhost"):
            raise WebhookRefused(f"{parsed.host} is this machine")
    # A name's addresses are known only after DNS: with allowed networks, destination_vet
    # decides whether they all lie inside them.
    if parsed.scheme == "http" and not host_allowed and (parsed.literal or not networks):
        raise WebhookRefused(_PLAIN_HTTP)


def destination_vet(url: str) -> Destination:
    """`url` as a destination to connect to, its name resolved once and every address vetted;
    WebhookRefused when the rules forbid it, OSError when the name does not resolve."""
    webhook_url_check(url)
    parsed = _parse(url)
    names, networks = _allowed_entries()
    if parsed.literal is not None:
        addresses = [parsed.literal]
    else:
        resolved = host_resolve(parsed.host, parsed.port)
        addresses = []
        for value in resolved:
            ip = _literal_ip(str(value))
            if ip is None:
                raise WebhookRefused(f"{parsed.host} resolved to {value!r}, not an address")
            addresses.append(ip)
        if not addresses:
            raise socket.gaierror(f"{parsed.host} resolved to no address")
    if parsed.host not in names:
        every_address_allowed = True
        for ip in addresses:
            if _ip_allowed(ip, networks):
                continue
            every_address_allowed = False
            if reason := ip_refusal(ip):
                raise WebhookRefused(
                    reason if parsed.literal is not None else f"{parsed.host} → {reason}"
                )
        if parsed.scheme == "http" and not every_address_allowed:
            raise WebhookRefused(_PLAIN_HTTP)
    return Destination(
        url=url,
        scheme=parsed.scheme,
        host=parsed.host,
        port=parsed.port,
        target=parsed.target,
        ip=str(addresses[0]),
    )


# --- posting ----------------------------------------------------------------------------------


def _connection(destination: Destination) -> http.client.HTTPConnection:
    """A connection to `destination.host` whose socket goes to the vetted `destination.ip`:
    http.client still sends the name as Host and, over TLS, as SNI and the name the certificate
    must match."""

    def connect_pinned(_address, _timeout=None, source_address=None):
        sock = socket.create_connection(
            (destination.ip, destination.port), CONNECT_TIMEOUT, source_address
        )
        sock.settimeout(READ_TIMEOUT)
        return sock

    if destination.scheme == "https":
        connection = http.client.HTTPSConnection(
            destination.host,
            destination.port,
            timeout=READ_TIMEOUT,
            context=ssl.create_default_context(),
        )
    else:
        connection = http.client.HTTPConnection(
            destination.host, destination.port, timeout=READ_TIMEOUT
        )
    # http.client opens its socket through this attribute (it is how the standard library's own
    # tests replace it); pointing it at the vetted address is what defeats DNS rebinding.
    connection._create_connection = connect_pinned
    return connection


def _post_once(
    destination: Destination, *, body: bytes, headers: Mapping[str, str]
) -> tuple[int, str, str]:
    """One POST: (status, Location header, the start of the body)."""
    connection = _connection(destination)
    try:
        connection.request("POST", destination.target, body=body, headers=dict(headers))
        response = connection.getresponse()
        # Only the start of the body is read: what a receiver answers is not ours to keep.
        excerpt = response.read(EXCERPT_CHARS * 4).decode("utf-8", errors="replace")
        return response.status, response.getheader("Location", ""), excerpt[:EXCERPT_CHARS]
    finally:
        connection.close()


def webhook_post(*, url: str, body: bytes, headers: Mapping[str, str]) -> PostResult:
    """POST `body` to `url` under the rules of this module. Never raises for what the receiver
    or the network does: the outcome, with an error for the delivery's record, is returned."""
    current = url
    for hop in range(MAX_REDIRECTS + 1):
        try:
            destination = destination_vet(current)
            status, location, excerpt = _post_once(destination, body=body, headers=headers)
        except WebhookRefused as refused:
            prefix = "refused" if hop == 0 else f"refused redirect to {current}"
            return PostResult(delivered=False, error=f"{prefix}: {refused}", permanent=True)
        except (OSError, http.client.HTTPException, ValueError) as error:
            # Connection refused or reset, timeouts, DNS failures, TLS errors, malformed
            # responses: the network's problems, worth another attempt later.
            return PostResult(delivered=False, error=f"{type(error).__name__}: {error}"[:500])
        if 200 <= status < 300:
            return PostResult(delivered=True, status=status)
        if status in (307, 308) and location:
            following = urljoin(current, location)
            if hop == MAX_REDIRECTS:
                return PostResult(
                    delivered=False,
                    status=status,
                    error=f"more than {MAX_REDIRECTS} redirects",
                    permanent=True,
                )
            if destination.scheme == "https" and not following.lower().startswith("https:"):
                return PostResult(
                    delivered=False,
                    status=status,
                    error=f"refused redirect from https to {following}",
                    permanent=True,
                )
            logger.info("webhook redirect %s → %s", current, following)
            current = following
            continue
        if 300 <= status < 400:
            return PostResult(
                delivered=False,
                status=status,
                error=(
                    f"HTTP {status} redirect to {location or '(no Location)'} not followed: "
                    "update the webhook's address"
                ),
                permanent=True,
            )
        return PostResult(delivered=False, status=status, error=f"HTTP {status}: {excerpt}".strip())
    raise AssertionError("unreachable")  # pragma: no cover
