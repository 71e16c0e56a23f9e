from django import template
from django.utils.safestring import mark_safe

from conversations.sanitize import clean_editor_html

register = template.Library()


@register.filter
def message_html(message):
    """A stored message body, cleaned again on the way out (it was cleaned on the
    way in; a second pass means a sanitiser fix also protects old rows)."""
    return mark_safe(clean_editor_html(message.html))
