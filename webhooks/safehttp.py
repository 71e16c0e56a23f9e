"""Posting to a URL an admin typed, without letting it reach inside our network
(SSRF).

The host is resolved once and every address it resolves to is checked: a
private, loopback, link-local, shared, multicast or reserved one refuses the
request (unless HELPDESK_WEBHOOKS_ALLOW_PRIVATE). The connection then goes to
the address that was checked, not to the name again, so a DNS answer that
changes between the check and the connect (rebinding) cannot redirect it;
TLS still verifies the certificate for the name. A webhook's redirects are
not followed (an answer 3xx is a failure). Connect and read timeouts bound
every try, and only the start of the answer is read.

`fetch` downloads a file the same way (Zendesk attachments): each redirect
is a new address, resolved and checked again, and an answer longer than the
caller's limit is refused, not read to its end."""

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

READ_LIMIT = 64 * 1024
REDIRECTS = {301, 302, 303, 307, 308}
MAX_REDIRECTS = 5


class Refused(Exception):
    """The URL may not be called (its scheme, or where its host points);
    `code` says which: "scheme", "host", "port", "unresolved" or "private"."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


class TooLarge(Exception):
    """The answer is longer than the caller's limit (it was not read to its end)."""


@dataclass
class Answer:
    status: int
    body: bytes
    duration_ms: int
    headers: dict[str, str] = field(default_factory=dict)


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
    return _exchange(
        "POST",
        url,
        body,
        {"Content-Type": "application/json", "User-Agent": "Helpdesk-Webhooks/1", **headers},
        limit=READ_LIMIT,
        seconds=settings.HELPDESK_WEBHOOK_CONNECT_TIMEOUT + settings.HELPDESK_WEBHOOK_READ_TIMEOUT,
    )


def fetch(url: str, *, limit: int, seconds: float = 120) -> Answer:
    """GET `url`, following redirects (each target checked as the first
    was), and read the whole answer: TooLarge when it is longer than
    `limit` bytes, TimeoutError past `seconds` in all. Raises Refused, or
    OSError / http.client.HTTPException when no answer came."""
    for _hop in range(MAX_REDIRECTS + 1):
        answer = _exchange(
            "GET", url, None, {"User-Agent": "Helpdesk-Import/1"}, limit=limit, seconds=seconds,
            whole=True,
        )  # fmt: skip
        location = answer.headers.get("location")
        if answer.status not in REDIRECTS or not location:
            return answer
        url = urljoin(url, location)
    raise OSError(_("Too many redirects."))


def _exchange(
    method: str,
    url: str,
    body: bytes | None,
    headers: dict[str, str],
    *,
    limit: int,
    seconds: float,
    whole: bool = False,
) -> Answer:
    """One request to the checked addresses of `url` in turn, up to the first
    that connects. At most `limit` bytes of the answer are read; with
    `whole`, a longer answer is TooLarge instead of cut."""
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
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            answer_headers = {k.lower(): v for k, v in response.getheaders()}
            declared = answer_headers.get("content-length", "")
            if whole and declared.isdigit() and int(declared) > limit:
                raise TooLarge(declared)
            deadline = started + seconds
            wanted = limit + 1 if whole else limit
            received = bytearray()
            while len(received) < wanted:
                if time.monotonic() > deadline:
                    raise TimeoutError(_("The answer took too long."))
                chunk = response.read1(min(wanted - len(received), READ_LIMIT))
                if not chunk:
                    break
                received += chunk
            if whole and len(received) > limit:
                raise TooLarge(str(len(received)))
            return Answer(
                response.status,
                bytes(received),
                round((time.monotonic() - started) * 1000),
                answer_headers,
            )
        finally:
            connection.close()
    raise last_error or OSError("no address answered")
