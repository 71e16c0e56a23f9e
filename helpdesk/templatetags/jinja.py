"""`{% jinja "name" %}`: a Jinja2 template (helpdesk.jinja) drawn with the
Django template's context."""

import functools

from django import template
from django.template import engines
from django.utils.safestring import SafeString

from helpdesk.jinja import translator

register = template.Library()


@functools.cache
def _environment():
    return engines["jinja2"].env


@register.simple_tag(takes_context=True)
def jinja(context, name: str) -> SafeString:
    values = context.flatten()
    values["_"] = translator()
    return SafeString(_environment().get_template(name).render(values))
