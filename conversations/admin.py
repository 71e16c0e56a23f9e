from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .attachments import display_name, sniff_type
from .models import (
    Document,
    EmailAddress,
    Inbox,
    KnowledgeArticle,
    MeetingLink,
    ReplyTemplate,
    Signature,
    Snippet,
    document_token,
)
from .sanitize import clean_editor_html, is_blank


class SignatureForm(forms.ModelForm):
    """A signature's HTML is cleaned as the reply editor cleans what agents
    write, since it goes into that editor and out in mail."""

    class Meta:
        model = Signature
        fields = ["user", "address", "language", "html"]

    def clean_html(self) -> str:
        html = clean_editor_html(self.cleaned_data["html"])
        if is_blank(html):
            raise forms.ValidationError(_("Write the signature."))
        return html

    def clean(self):
        cleaned = super().clean()
        if "address" in self.fields and bool(cleaned.get("user")) == bool(cleaned.get("address")):
            raise forms.ValidationError(_("Choose an agent or a team address, not both."))
        return cleaned


class SignatureInline(admin.StackedInline):
    """A team address's signatures, one per language (issue 15)."""

    model = Signature
    form = SignatureForm
    fields = ["language", "html"]
    extra = 0


@admin.register(Signature)
class SignatureAdmin(admin.ModelAdmin):
    """Agents' and team addresses' signatures, put into the reply editor in
    the language the reply is written in (issue 15)."""

    form = SignatureForm
    list_display = ["__str__", "user", "address", "language"]
    list_filter = ["language"]


@admin.register(Inbox)
class InboxAdmin(admin.ModelAdmin):
    list_display = ["name", "is_help_desk"]


@admin.register(EmailAddress)
class EmailAddressAdmin(admin.ModelAdmin):
    """Team email addresses agents send from, and each team's default (S17)."""

    list_display = ["email", "display_name"]
    filter_horizontal = ["default_for_teams"]
    search_fields = ["email", "display_name"]
    inlines = [SignatureInline]


@admin.register(Snippet)
class SnippetAdmin(admin.ModelAdmin):
    list_display = ["name", "shortcut"]
    search_fields = ["name", "shortcut", "body"]


@admin.register(ReplyTemplate)
class ReplyTemplateAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name", "body"]


@admin.register(KnowledgeArticle)
class KnowledgeArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "url"]
    search_fields = ["title", "body"]


@admin.register(MeetingLink)
class MeetingLinkAdmin(admin.ModelAdmin):
    list_display = ["name", "url"]


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    """Files shared with customers by link from the Insert menu (S18)."""

    list_display = ["name", "filename", "size", "created_at"]
    search_fields = ["name", "filename"]
    readonly_fields = ["share_link", "filename", "size"]
    actions = ["new_links"]

    @admin.display(description=_("share link"))
    def share_link(self, document):
        if not document.pk:
            return "—"
        url = settings.HELPDESK_BASE_URL.rstrip("/") + document.get_absolute_url()
        return format_html('<a href="{}">{}</a>', url, url)

    def save_model(self, request, document, form, change):
        if "file" in form.changed_data:
            upload = form.cleaned_data["file"]
            document.filename = display_name(upload.name)
            document.size = upload.size
            head = upload.read(16)
            upload.seek(0)
            document.content_type = sniff_type(head)
        super().save_model(request, document, form, change)

    @admin.action(description=_("Give the selected documents new links (old links stop working)"))
    def new_links(self, request, queryset):
        for document in queryset:
            document.token = document_token()
            document.save(update_fields=["token"])
        self.message_user(request, _("New links made."), messages.SUCCESS)
