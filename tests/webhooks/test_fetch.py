"""safehttp.fetch, the download side of the SSRF-guarded client (Zendesk
attachments): redirects are followed but each target is checked again, and
an answer longer than the limit is refused whether or not it says its length."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from webhooks import safehttp

BODY = b"x" * 5000


@pytest.fixture
def server(settings, monkeypatch):
    """A file server on loopback; that one address passes the SSRF check."""
    settings.HELPDESK_WEBHOOKS_ALLOW_PRIVATE = False
    allowed = safehttp.allowed_address
    monkeypatch.setattr(safehttp, "allowed_address", lambda a: a == "127.0.0.1" or allowed(a))

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            self.close_connection = True
            if self.path == "/file":
                self.send_response(200)
                self.send_header("Content-Length", str(len(BODY)))
                self.end_headers()
                self.wfile.write(BODY)
            elif self.path == "/chunked":  # no Content-Length: the size shows only while reading
                self.send_response(200)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for start in range(0, len(BODY), 1000):
                    part = BODY[start : start + 1000]
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                self.wfile.write(b"0\r\n\r\n")
            else:
                targets = {
                    "/to-file": "/file",
                    "/to-metadata": "http://169.254.169.254/latest/meta-data/",
                    "/loop": "/loop",
                }
                self.send_response(302)
                self.send_header("Location", targets.get(self.path, "/missing"))
                self.send_header("Content-Length", "0")
                self.end_headers()

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()


def test_fetch_follows_a_redirect_and_reads_the_whole_file(server):
    answer = safehttp.fetch(f"{server}/to-file", limit=len(BODY))
    assert (answer.status, answer.body) == (200, BODY)


@pytest.mark.parametrize("path", ["/file", "/chunked"])
def test_a_file_over_the_limit_is_refused(server, path):
    with pytest.raises(safehttp.TooLarge):
        safehttp.fetch(f"{server}{path}", limit=len(BODY) - 1)


def test_a_chunked_file_within_the_limit_is_read_whole(server):
    assert safehttp.fetch(f"{server}/chunked", limit=len(BODY)).body == BODY


def test_a_redirect_to_a_private_address_is_refused(server):
    with pytest.raises(safehttp.Refused) as refused:
        safehttp.fetch(f"{server}/to-metadata", limit=100)
    assert refused.value.code == "private"


def test_a_redirect_loop_ends(server):
    with pytest.raises(OSError):
        safehttp.fetch(f"{server}/loop", limit=100)
