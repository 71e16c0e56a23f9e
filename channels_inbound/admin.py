import datetime

from adminsortable2.admin import (
    CustomInlineFormSetMixin,
    SortableAdminBase,
    SortableStackedInline,
    SortableTabularInline,
)
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from tickets.admin import SortableKeys, StageSelect, stage_label
from tickets.models import Stage

from . import chat, webforms
from .models import (
    BlockedSender,
    ChatBotAnswer,
    ChatWidget,
    EmailChannel,
    InboundItem,
    LandingProblem,
    MessengerPage,
    WebForm,
    WebFormField,
    webform_problems,
)
from .store import inbound_payload, raw_deliveries_delete
from .tasks import process_inbound_item


def landing_warning(channel) -> str:
    """What is wrong with where a channel's tickets land, and where they go
    instead, for the channel's list and page; "" when nothing is."""
    landing = channel.landing()
    if not landing.problem:
        return ""
    if landing.stage is None:
        done = _("No pipeline has an open status: its messages cannot become tickets.")
    else:
        done = _("New tickets go to “%(place)s” until it is corrected.") % {
            "place": landing.local_place
        }
    return f"{LandingProblem(landing.problem).label} {done}"


class LandingForm(forms.ModelForm):
    """The pipeline and first status of a channel: statuses named with their
    pipeline, the picker narrowed to the chosen pipeline's (tickets.admin's
    script), and a status of another pipeline refused by the model's clean()."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        stage = self.fields["stage"]
        stage.queryset = Stage.objects.select_related("pipeline").order_by(
            "pipeline__position", "pipeline_id", "position", "id"
        )
        stage.label_from_instance = stage_label
        stage.widget = StageSelect(choices=stage.choices)


class LandingAdmin(admin.ModelAdmin):
    """Shared by the channels that open tickets: the warning on their list and
    page when their tickets cannot land where they say."""

    form = LandingForm
    list_select_related = ["pipeline", "stage", "team"]

    class Media:
        js = ["js/admin_stage_picker.js"]

    def problems(self, channel) -> list[str]:
        warning = landing_warning(channel)
        return [warning] if warning else []

    @admin.display(description=_("settings problem"))
    def settings_warning(self, channel):
        return " ".join(self.problems(channel)) or "—"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        channel = self.get_object(request, object_id) if request.method == "GET" else None
        for problem in self.problems(channel) if channel is not None else []:
            messages.warning(request, problem)
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(EmailChannel)
class EmailChannelAdmin(LandingAdmin):
    """Team email addresses connected to the help desk (S12)."""

    list_display = [
        "address",
        "pipeline",
        "stage",
        "team",
        "cc_only",
        "is_active",
        "settings_warning",
    ]
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

    list_display = [
        "received_at",
        "source",
        "status",
        "disposition",
        "settings_warning",
        "error",
        "ticket_link",
    ]
    list_filter = ["status", "source", "warning", "channel"]
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
        "settings_warning",
        "error",
        "attempts",
        "received_at",
        "processed_at",
        "ticket_link",
        "raw_link",
    ]
    exclude = ["payload", "message", "ticket", "warning", "delivered_to"]
    actions = ["process_again"]
    date_hierarchy = "received_at"

    def has_add_permission(self, request):
        return False

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {**(extra_context or {}), "books": books()})

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        # A large payload's file goes with its row (after the row has gone).
        raw_deliveries_delete(InboundItem.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        raw_deliveries_delete(queryset)

    @admin.display(description=_("settings problem"))
    def settings_warning(self, item):
        """Delivered, but not where its channel says: what was wrong, where it went."""
        if not item.warning:
            return "—"
        done = _("Delivered to “%(place)s” instead.") % {"place": item.delivered_to}
        return f"{item.get_warning_display()} {done}"

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
        response = HttpResponse(inbound_payload(item), content_type="application/octet-stream")
        response["Content-Disposition"] = f'attachment; filename="inbound-{item.pk}.raw"'
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "sandbox; default-src 'none'"
        return response

    @admin.action(description=_("Process the selected failed messages again"))
    def process_again(self, request, queryset):
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


def error_texts(form) -> list[str]:
    """A form's errors as sentences, each field's named by its label."""
    texts = [str(e) for e in form.non_field_errors()]
    for name, errors in form.errors.items():
        if name != "__all__":
            label = form.fields[name].label if name in form.fields else name
            texts += [f"{label}: {e}" for e in errors]
    return texts


class PreviewAdmin(admin.ModelAdmin):
    """A preview of the public page beside the settings, redrawn from what the
    page holds, saved or not (js/admin_preview.js posts the form here as the
    admin types). It validates as saving would, saves nothing, and shows what
    would refuse the save above the page instead of failing."""

    change_form_template = "admin/channels_inbound/preview_change_form.html"

    @property
    def media(self):
        return super().media + forms.Media(js=["js/admin_preview.js"])

    def get_urls(self):
        view = self.admin_site.admin_view(self.preview_view)
        name = f"{self.opts.app_label}_{self.opts.model_name}_preview"
        return [
            path("preview/", view, name=name),
            path("<int:object_id>/preview/", view, name=name),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        name = f"admin:{self.opts.app_label}_{self.opts.model_name}_preview"
        context["preview_url"] = reverse(name, args=[obj.pk] if obj and obj.pk else [])
        return super().render_change_form(request, context, add, change, form_url, obj)

    def preview_view(self, request, object_id=None):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = self.get_object(request, str(object_id)) if object_id else None
        if object_id and obj is None:
            raise Http404
        allowed = (
            self.has_change_permission(request, obj) if obj else self.has_add_permission(request)
        )
        if not allowed:
            raise PermissionDenied
        form = self.get_form(request, obj, change=obj is not None)(
            request.POST, instance=obj or self.model()
        )
        form.is_valid()
        formsets, _inlines = self._create_formsets(request, form.instance, change=obj is not None)
        problems = error_texts(form)
        rows = {}
        for formset in formsets:
            formset.is_valid()
            problems += [str(e) for e in formset.non_form_errors()]
            kept = []
            for index, row in enumerate(formset.forms):
                problems += error_texts(row)
                shown = row.instance.pk or row.has_changed()
                if shown and not row.cleaned_data.get("DELETE"):
                    kept.append((row.instance.position or 0, index, row.instance))
            rows[formset.model] = [instance for *_order, instance in sorted(kept)]
        return self.preview_page(request, form.instance, rows, list(dict.fromkeys(problems)))

    def preview_page(self, request, obj, rows, problems) -> HttpResponse:
        raise NotImplementedError


class WebFormFieldFormSet(CustomInlineFormSetMixin, BaseInlineFormSet):
    """A form is saved only when a submission can say who wrote and what they
    want (webform_problems): a form of only a Send button makes empty tickets."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        rows = [
            (form.cleaned_data["kind"], form.cleaned_data.get("required", False))
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        problems = webform_problems(rows)
        if problems:
            raise ValidationError(problems)


class WebFormFieldInline(SortableTabularInline):
    """A form's fields in their order. Beside the preview on a 1280 px screen
    the six columns do not fit: a narrow table lays each field out on two
    lines (admin.css, .rows-in-two-lines), and the property picker goes
    without the edit/add/view links, which a field row has no use for."""

    model = WebFormField
    formset = WebFormFieldFormSet
    extra = 0
    fields = ["kind", "label", "help_text", "required", "property", "position"]
    classes = ["rows-in-two-lines"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "property" and hasattr(field.widget, "widget"):
            field.widget = field.widget.widget  # the select, unwrapped
        return field


@admin.register(WebForm)
class WebFormAdmin(SortableAdminBase, PreviewAdmin, SortableKeys, LandingAdmin):
    """Public forms whose submissions become tickets (S12)."""

    list_display = [
        "name",
        "slug",
        "pipeline",
        "team",
        "is_active",
        "page_link",
        "settings_warning",
    ]
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

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("fields")

    def problems(self, webform) -> list[str]:
        """Also a form saved before fields were checked, or changed outside
        this page: its page refuses submissions until it is corrected."""
        fields = [(field.kind, field.required) for field in webform.fields.all()]
        return [*super().problems(webform), *map(str, webform_problems(fields))]

    def preview_page(self, request, obj, rows, problems):
        return webforms.preview_page(request, obj, rows.get(WebFormField, []), problems)

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


class ChatBotAnswerInline(SortableStackedInline):
    model = ChatBotAnswer
    extra = 0
    fields = ["question", "keywords", "answer", "position"]


@admin.register(ChatWidget)
class ChatWidgetAdmin(SortableAdminBase, PreviewAdmin, SortableKeys, LandingAdmin):
    """Live chat for websites (S12), with its optional rule-based chatbot."""

    list_display = ["name", "pipeline", "team", "bot_enabled", "is_active", "settings_warning"]
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

    def preview_page(self, request, obj, rows, problems):
        screen = request.POST.get("_preview_screen", "welcome")
        return chat.preview_page(request, obj, rows.get(ChatBotAnswer, []), problems, screen)

    def render_change_form(self, request, context, *args, **kwargs):
        # The preview's switcher between the window's screens (js/admin_preview.js).
        context["preview_screens"] = chat.PREVIEW_SCREENS
        return super().render_change_form(request, context, *args, **kwargs)

    @admin.display(description=_("code to add the chat to a site"))
    def embed_code(self, widget):
        if not widget.pk:
            return "—"
        base = settings.HELPDESK_BASE_URL.rstrip("/")
        src = base + reverse("channels_inbound:chat_widget", args=[widget.key])
        return format_html("<code>{}</code>", f'<script src="{src}" async></script>')


@admin.register(MessengerPage)
class MessengerPageAdmin(LandingAdmin):
    """Facebook Pages whose Messenger conversations become tickets (S12). The
    webhook is /inbound/messenger/ (MESSENGER_APP_SECRET, MESSENGER_VERIFY_TOKEN)."""

    list_display = ["name", "page_id", "pipeline", "team", "is_active", "settings_warning"]


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
