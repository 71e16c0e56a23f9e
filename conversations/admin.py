from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import (
    EmailAddress,
    Inbox,
    KnowledgeArticle,
    MeetingLink,
    ReplyTemplate,
    Signature,
    Snippet,
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
