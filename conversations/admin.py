from django.contrib import admin

from .models import EmailAddress, Inbox, KnowledgeArticle, MeetingLink, ReplyTemplate, Snippet


@admin.register(Inbox)
class InboxAdmin(admin.ModelAdmin):
    list_display = ["name", "is_help_desk"]


@admin.register(EmailAddress)
class EmailAddressAdmin(admin.ModelAdmin):
    """Team email addresses agents send from, and each team's default (S17)."""

    list_display = ["email", "display_name"]
    filter_horizontal = ["default_for_teams"]
    search_fields = ["email", "display_name"]


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
