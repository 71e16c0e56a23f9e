"""Jinja2, our second template backend, for the hottest partials of the
workspace: the ticket's header, sidebar and editors are drawn for every
ticket opened, the top bar and the views sidebar on every page (issue 22).
Django's template engine walks a tree of nodes and resolves each variable
through its context stack; Jinja2 compiles a template to Python once.

A Jinja2 template lives in `<app>/jinja2/<app>/`, or `templates/jinja2/` for
the project's own, and is drawn from a Django template by `{% jinja "name" %}`
(helpdesk.templatetags.jinja), with that template's context: the views and
their htmx partials do not change.

Its words are written `{{ _("...") }}`, with `|format(name=...)` for the
values of a sentence, so that `makemessages` (which reads them as a Django
template's) finds them, under the same msgid as a `{% blocktranslate %}`.
"""

import functools
from collections.abc import Callable

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.defaultfilters import filesizeformat, floatformat, truncatechars
from django.template.loader import get_template
from django.templatetags.static import static
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import formats, timezone
from django.utils.html import json_script
from django.utils.translation import get_language, gettext, trans_real
from jinja2 import ChainableUndefined, Environment, pass_context
from markupsafe import Markup


def environment(**options) -> Environment:
    from conversations.templatetags.conversation_tags import upload_limit
    from sla.templatetags.sla import sla_badge, sla_clocks
    from tickets.templatetags.ticket_lists import (
        condition_value,
        list_query,
        sort_arrow,
        sort_state,
        sort_toggle,
    )
    from tickets.templatetags.workspace import icon, stamp, when

    # A missing name reads as nothing, as in Django's templates.
    env = Environment(**{**options, "undefined": ChainableUndefined})
    env.globals.update(
        _=translated,
        url=url,
        static=static,
        icon=icon,
        when=when,
        sla_badge=sla_badge,
        sla_clocks=sla_clocks,
        localize=localize,
        upload_limit=upload_limit,
        available_languages=available_languages,
        django_include=django_include,
        list_query=list_query,
        sort_state=sort_state,
        sort_arrow=sort_arrow,
        sort_toggle=sort_toggle,
        condition_value=condition_value,
        table_rows=table_rows,
        message_articles=message_articles,
    )
    env.filters.update(
        stamp=stamp,
        floatformat=floatformat,
        filesizeformat=filesizeformat,
        truncatechars=truncatechars,
        json_script=json_script,
    )
    return env


def localize(value) -> str:
    """A value as Django's templates print it: a moment in the user's time
    zone, in the locale's format."""
    return formats.localize(timezone.template_localtime(value))


def available_languages() -> list[tuple[str, str]]:
    """`{% get_available_languages %}`: each language's code and name."""
    return [(code, gettext(name)) for code, name in settings.LANGUAGES]


# Reversed addresses, kept for the process: a ticket page asks for some 60,
# each of which took Django 15-40 µs to find and 1 µs to look up here. What
# an address depends on besides its name and arguments is in the key.
_addresses: dict[tuple, str] = {}
_ADDRESSES_KEPT = 4096


def url(name: str, *args) -> str:
    """`{% url name arg ... %}`."""
    key = (name, args, tuple(map(type, args)), settings.ROOT_URLCONF)
    key += (get_urlconf(), get_script_prefix())
    found = _addresses.get(key)
    if found is None:
        if len(_addresses) >= _ADDRESSES_KEPT:
            _addresses.clear()
        found = _addresses[key] = reverse(name, args=args)
    return found


def translated(message: str) -> Markup:
    """`{{ _("...") }}`: the words in the reader's language. Like Django's
    `{% translate %}`, the translation is trusted as markup and the values
    `|format` puts into it are escaped."""
    return translator()(message)


def translator() -> Callable[[str], Markup]:
    """`translated` for the language active now, bound once for a whole
    render by `{% jinja %}`: a ticket page looks up some 190 words, each of
    which went through the active language's lookup (a context-local
    variable) before its catalogue's."""
    return _translator(get_language())


@functools.lru_cache(maxsize=16)
def _translator(language: str | None) -> Callable[[str], Markup]:
    catalogue = trans_real.translation(language) if language else None
    words: dict[str, Markup] = {}

    def translate(message: str) -> Markup:
        found = words.get(message)
        if found is None:
            text = catalogue.gettext(message) if catalogue else gettext(message)
            found = words[message] = Markup(text)
        return found

    return translate


@receiver(setting_changed)
def _forget_translators(*, setting, **kwargs):
    """A test that changes the languages or catalogues gets fresh ones."""
    if setting in ("LANGUAGES", "LANGUAGE_CODE", "LOCALE_PATHS", "INSTALLED_APPS"):
        _translator.cache_clear()


@pass_context
def table_rows(context) -> str:
    """The ticket table's rows, built in Python from the page's context."""
    from tickets.templatetags.ticket_lists import table_rows

    return table_rows(context.get_all())


@pass_context
def message_articles(context, messages) -> str:
    """The conversation's messages, built in Python (conversation_tags)."""
    from conversations.templatetags.conversation_tags import message_articles

    return message_articles(context.get_all(), messages)


@pass_context
def django_include(context, name: str, **values) -> str:
    """A Django template, with this template's context and `values`: another
    app's part (a header badge), or a form field's. Django's own escaping
    made what it returns (a SafeString)."""
    flat = {**context.get_all(), **values}
    return get_template(name).render(flat, flat.get("request"))
