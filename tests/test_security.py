"""Deployment settings, headers and template hygiene (RELIABILITY I, N, F41-43)."""

import os
import re
import subprocess
import sys
from pathlib import Path

from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "x" * 64 + "-production-like-secret-for-the-check",
    "ALLOWED_HOSTS": "help.example.com",
    "DATABASE_URL": "sqlite:///:memory:",
}


def production_env() -> dict:
    """This process's environment as a server would have it: no test-only switches."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return {**env, **PRODUCTION_ENV}


def test_production_settings_pass_check_deploy():
    env = production_env()
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {**production_env(), "SECRET_KEY": ""}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_pages_carry_a_strict_csp_and_frame_denial(client, agent):
    client.force_login(agent)
    for url in (reverse("accounts:login"), "/views/mine/"):
        client.logout() if url == reverse("accounts:login") else client.force_login(agent)
        response = client.get(url)
        csp = response["Content-Security-Policy"]
        assert "script-src 'self' 'nonce-" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        for directive in (
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
            "form-action 'self'",
            "img-src 'self' data:",
        ):
            assert directive in csp
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_every_script_tag_is_external_and_carries_the_nonce(client, agent):
    client.force_login(agent)
    body = client.get("/views/mine/").content.decode()
    scripts = re.findall(r"<script[^>]*>", body)
    assert scripts
    for tag in scripts:
        assert 'src="/static/' in tag and 'nonce="' in tag


def test_htmx_is_locked_down(client, agent):
    client.force_login(agent)
    body = client.get("/views/mine/").content.decode()
    config = re.search(r'name="htmx-config" content=\'([^\']+)\'', body).group(1)
    for setting in (
        '"selfRequestsOnly": true',
        '"allowScriptTags": false',
        '"allowEval": false',
        '"historyCacheSize": 0',
        '"disableInheritance": true',
    ):
        assert setting in config
    # Only the CSRF header is inherited; every target and swap is explicit.
    assert 'hx-inherit="hx-headers"' in body


# The document of the sandboxed message frame carries its own CSP (inline style
# allowed there, scripts never); it is not a page of the app.
FRAME_DOCUMENT = "conversations/templates/conversations/original.html"


def test_templates_have_no_inline_script_style_or_unsafe_output():
    for path in [*ROOT.glob("templates/**/*.html"), *ROOT.glob("*/templates/**/*.html")]:
        text = path.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), path
        if path.relative_to(ROOT).as_posix() != FRAME_DOCUMENT:
            assert " style=" not in text and "<style" not in text, path
        assert "|safe" not in text and "autoescape off" not in text, path
        assert not re.search(r"\shx-on", text), path


def test_forms_carry_csrf_and_htmx_sends_the_token(client, agent):
    client.force_login(agent)
    body = client.get("/views/mine/").content.decode()
    assert 'hx-headers=\'{"X-CSRFToken": "' in body
    for form in re.findall(r'<form method="post".*?</form>', body, re.S):
        assert "csrfmiddlewaretoken" in form


def test_posts_without_csrf_are_refused(agent, pipeline):
    from django.test import Client

    from tests.factories import TicketFactory

    ticket = TicketFactory(pipeline=pipeline)
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    url = reverse("tickets:ticket_edit_field", args=[ticket.pk, "priority"])
    assert client.post(url, {"priority": "high"}).status_code == 403


# RELIABILITY 43: markup is marked safe only where it was just sanitised.
MARK_SAFE_ALLOWED = {
    "conversations/templatetags/conversation_tags.py",  # nh3 output of message bodies
    "conversations/views/conversation.py",  # nh3 output for the sandboxed frame
    "knowledge/models.py",  # nh3 output of help center article bodies
    "portal/templatetags/portal.py",  # nh3 output of message bodies, for the customer
}


# Markup built safe by construction: every value escaped on the way in.
SAFE_BY_CONSTRUCTION = {
    "helpdesk/html.py",  # format_html's work, with markupsafe's escaping
    "helpdesk/templatetags/jinja.py",  # a Jinja2 template's autoescaped output
    "helpdesk/jinja.py",  # translations, trusted as Django's {% translate %} trusts them
}


def test_markup_is_made_safe_only_by_escaping_it():
    apps = [d for d in ROOT.iterdir() if (d / "apps.py").exists() or d.name == "helpdesk"]
    for path in (p for app in apps for p in app.rglob("*.py")):
        source = path.read_text()
        if "SafeString(" in source or "Markup(" in source:
            assert path.relative_to(ROOT).as_posix() in SAFE_BY_CONSTRUCTION, path


def test_mark_safe_only_on_sanitised_output():
    apps = [d for d in ROOT.iterdir() if (d / "apps.py").exists() or d.name == "helpdesk"]
    for path in (p for app in apps for p in app.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if "mark_safe(" in path.read_text():
            assert relative in MARK_SAFE_ALLOWED, relative
    for relative in MARK_SAFE_ALLOWED:
        for line in (ROOT / relative).read_text().splitlines():
            if "mark_safe(" in line:
                assert re.search(
                    r"mark_safe\((clean_\w+\(|main\.html|quoted\.html|body\.html|message\.html if current else clean_)",
                    line,
                ), line
