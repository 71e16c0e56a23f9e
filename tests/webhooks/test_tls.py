"""HTTPS to a pinned address still verifies the certificate for the host
name: a receiver whose certificate we do not trust is a failed try, one we
trust answers (a local CA made for the test with openssl)."""

import http.server
import shutil
import ssl
import subprocess
import threading

import pytest

from webhooks import safehttp


@pytest.fixture
def tls_receiver(tmp_path):
    if not shutil.which("openssl"):
        pytest.skip("needs openssl")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(200)
            self.send_header("Content-Length", "6")
            self.end_headers()
            self.wfile.write(b"secure")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"https://localhost:{server.server_port}/hook", cert
    server.shutdown()
    server.server_close()


def test_an_untrusted_certificate_is_refused(tls_receiver):
    url, _cert = tls_receiver
    with pytest.raises(ssl.SSLCertVerificationError):
        safehttp.post(url, b"{}", {})


def test_a_trusted_certificate_for_the_name_answers(tls_receiver, monkeypatch):
    url, cert = tls_receiver
    default = ssl.create_default_context

    def trusting(*args, **kwargs):
        context = default(*args, **kwargs)
        context.load_verify_locations(cafile=str(cert))
        return context

    monkeypatch.setattr(ssl, "create_default_context", trusting)
    answer = safehttp.post(url, b"{}", {})
    assert (answer.status, answer.body) == (200, b"secure")
    # The same certificate under another name (the address) is refused.
    with pytest.raises(ssl.SSLCertVerificationError):
        safehttp.post(url.replace("localhost", "127.0.0.1"), b"{}", {})
