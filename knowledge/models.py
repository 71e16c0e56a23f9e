"""The knowledge base behind the help center (issue 20, S18, S23).

An `Article` is one subject; it is written once per language as a
`Translation` (en, ko, fi, de, zh-hant, pl), and each translation has its own
state: a Korean draft never shows while the English text is published. Every
save of a translation keeps a `Revision` (who, when, the title and body), so an
earlier text can be restored. Visitors' "Was this helpful?" answers are
`Vote`s, one per visitor and translation, counted on the translation.
"""

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from helpdesk.labels import LocalNames, local_label
from tickets.search import SearchVectorField

from .sanitize import clean_article_html

LANGUAGES = [code for code, _name in settings.LANGUAGES]


def language_choices():
    return list(settings.LANGUAGES)


class Category(LocalNames, models.Model):
    """A top-level group of the help center's home page."""

    name = models.CharField(_("name"), max_length=100)
    labels = models.JSONField(_("names in other languages"), default=dict, blank=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    descriptions = models.JSONField(_("descriptions in other languages"), default=dict, blank=True)
    slug = models.SlugField(_("address name"), max_length=100, unique=True)
    icon = models.CharField(
        _("icon"), max_length=40, blank=True, help_text=_("A name from the icon set, such as book.")
    )
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("help center category")
        verbose_name_plural = _("help center categories")

    def __str__(self) -> str:
        return self.local_name

    @property
    def local_description(self) -> str:
        """In the active language, else English (as `local_name`)."""
        return local_label(self.descriptions, self.description)


class Section(LocalNames, models.Model):
    """A group of articles inside a category."""

    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.CASCADE, related_name="sections"
    )
    name = models.CharField(_("name"), max_length=100)
    labels = models.JSONField(_("names in other languages"), default=dict, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["category", "position", "name"]
        verbose_name = _("help center section")
        verbose_name_plural = _("help center sections")

    def __str__(self) -> str:
        return f"{self.category.local_name} \u203a {self.local_name}"


class Article(models.Model):
    """One subject, written in one or more languages (its translations)."""

    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="articles"
    )
    section = models.ForeignKey(
        Section,
        verbose_name=_("section"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="articles",
    )
    tags = models.JSONField(_("tags"), default=list, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")

    def __str__(self) -> str:
        first = self.translations.first()
        return first.title if first else f"#{self.pk}"


class Translation(models.Model):
    """An article in one language, with its own state and counts."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        ARCHIVED = "archived", _("Archived")

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(_("language"), max_length=10, choices=language_choices)
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(max_length=100, allow_unicode=True, blank=True)
    # Sanitised HTML (knowledge.sanitize) and its plain text, for excerpts,
    # inserts and the search vector.
    body = models.TextField(_("text"), blank=True)
    text = models.TextField(blank=True, editable=False)
    summary = models.CharField(
        _("summary"),
        max_length=300,
        blank=True,
        help_text=_("One sentence for search results and search engines."),
    )
    state = models.CharField(_("state"), max_length=10, choices=State, default=State.DRAFT)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    published_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    helpful_yes = models.PositiveIntegerField(default=0, editable=False)
    helpful_no = models.PositiveIntegerField(default=0, editable=False)
    # Title (A), text (B) and tags (C) as lexemes, cut like ticket search.
    search_vector = SearchVectorField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["article", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["article", "language"], name="one_translation_per_language"
            )
        ]
        indexes = [models.Index(fields=["language", "state"], name="knowledge_lang_state")]
        verbose_name = _("translation")
        verbose_name_plural = _("translations")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("knowledge:article", args=[self.language, self.article_id, self.slug or "a"])

    @property
    def is_public(self) -> bool:
        return self.state == self.State.PUBLISHED

    @property
    def body_html(self) -> str:
        """The body to show, cleaned again as it is shown (RELIABILITY 43)."""
        return mark_safe(clean_article_html(self.body))


class Revision(models.Model):
    """A translation as it was saved: who, when, and its words."""

    translation = models.ForeignKey(Translation, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    summary = models.CharField(max_length=300, blank=True)
    state = models.CharField(max_length=10, choices=Translation.State)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["translation", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["translation", "number"], name="one_revision_number")
        ]

    def __str__(self) -> str:
        return f"{self.translation} #{self.number}"

    @property
    def body_html(self) -> str:
        """The body as it was, cleaned again as it is shown (RELIABILITY 43)."""
        return mark_safe(clean_article_html(self.body))


def file_key(instance, filename: str) -> str:
    return f"knowledge/{uuid.uuid4().hex}"


def file_token() -> str:
    return secrets.token_urlsafe(18)


class ArticleFile(models.Model):
    """An image or attachment of a translation. Images are shown in the text
    (with their description as alt text), other files listed under it."""

    translation = models.ForeignKey(Translation, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(upload_to=file_key)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField(default=0)
    description = models.CharField(_("description"), max_length=200, blank=True)
    token = models.CharField(max_length=32, unique=True, default=file_token)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.filename

    def get_absolute_url(self) -> str:
        return reverse("knowledge:file", args=[self.token, self.filename])

    @property
    def is_image(self) -> bool:
        return self.content_type in IMAGE_TYPES


IMAGE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp"}


class Vote(models.Model):
    """One visitor's "Was this helpful?" answer to one translation. The
    visitor is a random id in a cookie; answering again changes the answer."""

    translation = models.ForeignKey(Translation, on_delete=models.CASCADE, related_name="votes")
    visitor = models.CharField(max_length=64)
    helpful = models.BooleanField()
    created_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["translation", "visitor"], name="one_vote_per_visitor")
        ]

    def __str__(self) -> str:
        return f"{self.translation}: {'yes' if self.helpful else 'no'}"
