import datetime

from django.conf import settings
from django.contrib import admin, messages
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import (
    BlockedSender,
    ChatBotAnswer,
    ChatWidget,
    EmailChannel,
    InboundItem,
    MessengerPage,
    WebForm,
    WebFormField,
)


@admin.register(EmailChannel)
class EmailChannelAdmin(admin.ModelAdmin):
    """Team email addresses connected to the help desk (S12)."""

    list_display = ["address", "pipeline", "stage", "team", "cc_only", "is_active"]
    list_filter = ["is_active", "pipeline"]
    fieldsets = [
        (None, {"fields": ["address", "pipeline", "stage", "team", "cc_only", "is_active"]}),
        (
            _("IMAP polling"),
            {
                "classes": ["collapse"],
                "fields": [
                    "imap_host",
                    "imap_port",
                    "imap_username",
                    "imap_password_env",
                    "imap_folder",
                    "imap_done_folder",
                ],
            },
        ),
    ]


def books(hours: int = 24) -> dict:
    """The inbound books of the last `hours`: received = stored + ignored +
    failed + waiting, and how long the oldest waiting row has waited
    (RELIABILITY 5)."""
    since = timezone.now() - datetime.timedelta(hours=hours)
    counts = dict(
        InboundItem.objects.filter(received_at__gte=since)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    oldest = (
        InboundItem.objects.filter(status=InboundItem.Status.PENDING)
        .order_by("received_at")
        .values_list("received_at", flat=True)
        .first()
    )
    return {
        "hours": hours,
        "received": sum(counts.values()),
        "statuses": [(label, counts.get(value, 0)) for value, label in InboundItem.Status.choices],
        "oldest_waiting_minutes": (
            int((timezone.now() - oldest).total_seconds() // 60) if oldest else None
        ),
    }


@admin.register(InboundItem)
class InboundItemAdmin(admin.ModelAdmin):
    """The inbound log: every delivery with what became of it (RELIABILITY 96).
    Failed rows are retried from here after a fix."""

    list_display = ["received_at", "source", "status", "disposition", "error", "ticket_link"]
    list_filter = ["status", "source", "channel"]
    search_fields = ["disposition", "error", "event_id", "dedupe_key"]
    readonly_fields = [
        "source",
        "channel",
        "content_type",
        "event_id",
        "dedupe_key",
        "message_hash",
        "status",
        "disposition",
        "error",
        "attempts",
        "received_at",
        "processed_at",
        "ticket_link",
        "raw_link",
    ]
    exclude = ["payload", "message", "ticket"]
    actions = ["process_again"]
    date_hierarchy = "received_at"

    def has_add_permission(self, request):
        return False

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {**(extra_context or {}), "books": books()})

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("ticket"))
    def ticket_link(self, item):
        if not item.ticket_id:
            return "—"
        url = reverse("tickets:ticket_open", args=[item.ticket_id])
        return format_html('<a href="{}">#{}</a>', url, item.ticket_id)

    @admin.display(description=_("as received"))
    def raw_link(self, item):
        url = reverse("admin:channels_inbound_inbounditem_raw", args=[item.pk])
        return format_html('<a href="{}">{}</a>', url, _("Download"))

    def get_urls(self):
        raw = path(
            "<int:pk>/raw/",
            self.admin_site.admin_view(self.raw_view),
            name="channels_inbound_inbounditem_raw",
        )
        return [raw, *super().get_urls()]

    def raw_view(self, request, pk):
        """The bytes as received, as a download (never rendered)."""
        if not self.has_view_permission(request):
            return HttpResponse(status=403)
        item = get_object_or_404(InboundItem, pk=pk)
        response = HttpResponse(bytes(item.payload), content_type="application/octet-stream")
        response["Content-Disposition"] = f'attachment; filename="inbound-{item.pk}.raw"'
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "sandbox; default-src 'none'"
        return response

    @admin.action(description=_("Process the selected failed messages again"))
    def process_again(self, request, queryset):
        from .tasks import process_inbound_item

        failed = list(queryset.filter(status=InboundItem.Status.FAILED))
        ids = [item.pk for item in failed]
        InboundItem.objects.filter(pk__in=ids).update(status=InboundItem.Status.PENDING)
        for item in failed:
            # The admin log records who asked for the retry (RELIABILITY 4).
            self.log_change(request, item, "Processed again")
            process_inbound_item.delay(item.pk)
        text = ngettext(
            "%(count)d message queued again.", "%(count)d messages queued again.", len(ids)
        )
        self.message_user(request, text % {"count": len(ids)}, messages.SUCCESS)


class WebFormFieldInline(admin.TabularInline):
    model = WebFormField
    extra = 0
    fields = ["position", "kind", "label", "help_text", "required", "property"]


@admin.register(WebForm)
class WebFormAdmin(admin.ModelAdmin):
    """Public forms whose submissions become tickets (S12)."""

    list_display = ["name", "slug", "pipeline", "team", "is_active", "page_link"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [WebFormFieldInline]
    readonly_fields = ["page_link", "embed_code"]
    fields = [
        "name",
        "slug",
        "title",
        "intro",
        "thanks",
        "pipeline",
        "stage",
        "team",
        "allowed_origins",
        "is_active",
        "page_link",
        "embed_code",
    ]

    def _url(self, webform) -> str:
        base = settings.HELPDESK_BASE_URL.rstrip("/")
        return base + reverse("channels_inbound:form_page", args=[webform.slug])

    @admin.display(description=_("public page"))
    def page_link(self, webform):
        if not webform.pk:
            return "—"
        return format_html('<a href="{}">{}</a>', self._url(webform), self._url(webform))

    @admin.display(description=_("code to embed the form in a site"))
    def embed_code(self, webform):
        if not webform.pk:
            return "—"
        snippet = (
            f'<iframe src="{self._url(webform)}?embed=1" title="{webform.title}" '
            'style="width:100%;min-height:640px;border:0" loading="lazy"></iframe>'
        )
        return format_html("<code>{}</code>", snippet)


class ChatBotAnswerInline(admin.StackedInline):
    model = ChatBotAnswer
    extra = 0
    fields = ["position", "question", "keywords", "answer"]


@admin.register(ChatWidget)
class ChatWidgetAdmin(admin.ModelAdmin):
    """Live chat for websites (S12), with its optional rule-based chatbot."""

    list_display = ["name", "pipeline", "team", "bot_enabled", "is_active"]
    readonly_fields = ["embed_code"]
    inlines = [ChatBotAnswerInline]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "name",
                    "greeting",
                    "pipeline",
                    "stage",
                    "team",
                    "allowed_origins",
                    "is_active",
                    "embed_code",
                ]
            },
        ),
        (
            _("Chatbot"),
            {
                "fields": [
                    "bot_enabled",
                    "handoff_label",
                    "handoff_keywords",
                    "handoff_reply",
                    "bot_fallback",
                ]
            },
        ),
    ]

    @admin.display(description=_("code to add the chat to a site"))
    def embed_code(self, widget):
        if not widget.pk:
            return "—"
        base = settings.HELPDESK_BASE_URL.rstrip("/")
        src = base + reverse("channels_inbound:chat_widget", args=[widget.key])
        return format_html("<code>{}</code>", f'<script src="{src}" async></script>')


@admin.register(MessengerPage)
class MessengerPageAdmin(admin.ModelAdmin):
    """Facebook Pages whose Messenger conversations become tickets (S12). The
    webhook is /inbound/messenger/ (MESSENGER_APP_SECRET, MESSENGER_VERIFY_TOKEN)."""

    list_display = ["name", "page_id", "pipeline", "team", "is_active"]


@admin.register(BlockedSender)
class BlockedSenderAdmin(admin.ModelAdmin):
    """Addresses and domains whose mail goes to Spam (S26)."""

    list_display = ["pattern", "created_by", "created_at"]
    search_fields = ["pattern"]
    fields = ["pattern"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
