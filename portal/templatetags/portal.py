from django import template
from django.urls import reverse
from django.utils.safestring import mark_safe

from conversations.sanitize import SANITIZER_VERSION, clean_editor_html, clean_inbound_html

register = template.Library()


@register.simple_tag
def portal_message_body(message) -> str:
    """A public message's body as the customer sees it, cleaned as the
    workspace shows it (RELIABILITY 43); a customer email's inline images
    served by the portal's own file address, through the contact's gate."""
    if not message.is_inbound:
        current = message.sanitizer_version == SANITIZER_VERSION
        return mark_safe(message.html if current else clean_editor_html(message.html))
    images = {
        a.content_id: reverse("portal:attachment", args=[a.pk])
        for a in message.attachments.all()
        if a.content_id and a.is_image
    }
    main = clean_inbound_html(message.html, images)
    return mark_safe(main.html)
