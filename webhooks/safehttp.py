"""Posting to a URL an admin typed, without letting it reach inside our network
(SSRF).

The host is resolved once and every address it resolves to is checked: a
private, loopback, link-local, shared, multicast or reserved one refuses the
request (unless HELPDESK_WEBHOOKS_ALLOW_PRIVATE). The connection then goes to
the address that was checked, not to the name again, so a DNS answer that
changes between the check and the connect (rebinding) cannot redirect it;
TLS still verifies the certificate for the name. Redirects are not followed
(an answer 3xx is a failure). Connect and read timeouts bound every try, and
only the start of the answer is read."""

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

READ_LIMIT = 64 * 1024


class Refused(Exception):
    """The URL may not be called (its scheme, or where its host points);
    `code` says which: "scheme", "host", "port", "unresolved" or "private"."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


@dataclass
class Answer:
    status: int
    body: bytes
    duration_ms: int


def allowed_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def resolve(url: str) -> tuple[str, str, int, str, list[str]]:
    """(scheme, host, port, path with query, the addresses to connect to),
    or Refused with the reason."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise Refused(_("Only http and https addresses can receive webhooks."), "scheme")
    host = parts.hostname
    if not host:
        raise Refused(_("The address has no host name."), "host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:
        raise Refused(_("The address has an invalid port."), "port") from error
    unresolved = _("The host name “%(host)s” could not be resolved.")
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise Refused(unresolved % {"host": host}, "unresolved") from error
    addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
    if not addresses:
        raise Refused(unresolved % {"host": host}, "unresolved")
    if not settings.HELPDESK_WEBHOOKS_ALLOW_PRIVATE:
        for address in addresses:
            if not allowed_address(address):
                raise Refused(
                    _(
                        "“%(host)s” points to a private, loopback or link-local address "
                        "(%(address)s): webhooks are only sent to public addresses."
                    )
                    % {"host": host, "address": address},
                    "private",
                )
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return parts.scheme, host, port, path, addresses


class _PinnedHTTP(http.client.HTTPConnection):
    """Connects to the checked address; the Host header keeps the name."""

    def __init__(self, host, port, address, connect_timeout, read_timeout):
        super().__init__(host, port, timeout=read_timeout)
        self.address = address
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout

    def _open(self):
        sock = socket.create_connection((self.address, self.port), self.connect_timeout)
        sock.settimeout(self.read_timeout)
        return sock

    def connect(self):
        self.sock = self._open()


class _PinnedHTTPS(_PinnedHTTP):
    def __init__(self, host, port, address, connect_timeout, read_timeout):
        super().__init__(host, port, address, connect_timeout, read_timeout)
        self.context = ssl.create_default_context()

    def connect(self):
        self.sock = self.context.wrap_socket(self._open(), server_hostname=self.host)


def post(url: str, body: bytes, headers: dict[str, str]) -> Answer:
    """POST `body`; the answer's status and the start of its body. Raises
    Refused, or OSError / http.client.HTTPException when no answer came."""
    scheme, host, port, path, addresses = resolve(url)
    connect_timeout = settings.HELPDESK_WEBHOOK_CONNECT_TIMEOUT
    read_timeout = settings.HELPDESK_WEBHOOK_READ_TIMEOUT
    kind = _PinnedHTTPS if scheme == "https" else _PinnedHTTP
    started = time.monotonic()
    last_error: OSError | None = None
    for address in addresses:
        connection = kind(host, port, address, connect_timeout, read_timeout)
        try:
            try:
                connection.connect()
            except OSError as error:  # the next address may answer
                last_error = error
                continue
            connection.request(
                "POST",
                path,
                body=body,
                headers={
                    "Content-Type": "application/json",
                    "User-Agent": "Helpdesk-Webhooks/1",
                    **headers,
                },
            )
            response = connection.getresponse()
            deadline = started + connect_timeout + read_timeout
            received = b""
            while len(received) < READ_LIMIT:
                if time.monotonic() > deadline:
                    raise TimeoutError(_("The answer took too long."))
                chunk = response.read1(READ_LIMIT - len(received))
                if not chunk:
                    break
                received += chunk
            return Answer(response.status, received, round((time.monotonic() - started) * 1000))
        finally:
            connection.close()
    raise last_error or OSError("no address answered")
