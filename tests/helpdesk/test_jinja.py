"""The Jinja2 partials of the workspace (helpdesk/jinja.py): their words are
found by makemessages and translated, what people typed is escaped, and the
Django template's context reaches them."""

from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from jinja2 import Environment

from helpdesk.management.commands.translations import locales
from tests.factories import TicketFactory


def jinja_templates() -> list[Path]:
    base = Path(settings.BASE_DIR)
    return sorted(p for p in base.glob("**/jinja2/**/*.html") if ".venv" not in p.parts)


def test_every_word_of_a_jinja_template_is_found_by_makemessages_and_translated():
    """makemessages reads a Jinja2 template as a Django one: it finds
    `_("...")` with a constant and nothing else (no ngettext, no variable)."""
    env = Environment(extensions=["jinja2.ext.i18n"])
    catalogs = {
        locale: polib.pofile(
            str(settings.BASE_DIR / "locale" / locale / "LC_MESSAGES" / "django.po")
        )
        for locale in locales()
    }
    found = 0
    for path in jinja_templates():
        source = path.read_text()
        for _line, function, message in env.extract_translations(source):
            assert function == "_", f"{path.name}: {function}() is not extracted"
            assert isinstance(message, str), f"{path.name}: _() of a variable"
            found += 1
            for locale, po in catalogs.items():
                entry = po.find(message)
                assert entry is not None and entry.msgstr, f"{locale}: {message}"
    assert found > 100


def test_the_header_and_sidebar_escape_what_people_typed(client, agent, pipeline):
    ticket = TicketFactory(
        pipeline=pipeline,
        owner=agent,
        name='<script>alert("name")</script>',
        description="<img src=x onerror=alert(1)>",
    )
    client.force_login(agent)
    page = client.get(reverse("tickets:ticket_detail", args=["mine", ticket.pk])).content.decode()
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#34;name&#34;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;</textarea>" in page


@pytest.mark.parametrize("language", ["en", "ko"])
def test_the_jinja_parts_speak_the_readers_language(client, agent, pipeline, language):
    ticket = TicketFactory(pipeline=pipeline, owner=agent)
    agent.language = language
    agent.save(update_fields=["language"])
    client.force_login(agent)
    page = client.get(reverse("tickets:ticket_detail", args=["mine", ticket.pk])).content.decode()
    with translation.override(language):
        for words in (
            "Ticket information",  # the sidebar
            "Rename the ticket",  # the header
            "Add a tag",
            "Add a contact in the sidebar to write to them.",  # the composer
            "Keyboard shortcuts",  # the top bar
        ):
            assert translation.gettext(words) in page
    if language == "ko":
        assert "Rename the ticket" not in page


def test_a_kept_address_is_the_one_reverse_gives_under_each_script_prefix():
    """url() keeps what it reversed, keyed by what else an address depends on:
    behind a path prefix (SCRIPT_NAME) the same name gives the prefixed one."""
    from django.urls import set_script_prefix

    from helpdesk.jinja import url

    assert url("tickets:ticket_open", 7) == reverse("tickets:ticket_open", args=[7])
    assert url("tickets:ticket_open", "7") == "/tickets/7/"
    try:
        set_script_prefix("/desk/")
        assert url("tickets:ticket_open", 7) == "/desk/tickets/7/"
    finally:
        set_script_prefix("/")
    assert url("tickets:ticket_open", 7) == "/tickets/7/"
