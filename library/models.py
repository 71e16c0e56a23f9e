"""What agents share with customers from the composer's Insert menu (S18):
documents uploaded once to a shared library, and quotes on deals. Each is
private to its owner or shared with chosen teams or everyone, as custom views
and macros are (S27, `SavedView.Sharing`)."""

import uuid
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import urlsplit

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Team
from crm.models import Deal
from tickets.models import SavedView, Ticket


class Shared(models.Model):
    """Owner, sharing and teams, read by `library.queries.shared_with`."""

    Sharing = SavedView.Sharing

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    sharing = models.CharField(
        _("sharing"), max_length=10, choices=Sharing, default=Sharing.PRIVATE
    )
    teams = models.ManyToManyField(Team, verbose_name=_("teams"), blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True

    @property
    def is_shared(self) -> bool:
        return self.sharing != self.Sharing.PRIVATE


def document_key(instance, filename: str) -> str:
    """Storage names are ours, never the uploader's (RELIABILITY item 49)."""
    return f"documents/{uuid.uuid4().hex}"


class Document(Shared):
    """A file uploaded once and shared by link from replies and comments, such
    as a price list or a setup guide. Each link names the ticket it was
    inserted into, so opening it is recorded there (`DocumentOpen`)."""

    name = models.CharField(_("name"), max_length=200)
    file = models.FileField(_("file"), upload_to=document_key)
    filename = models.CharField(_("file name"), max_length=255, editable=False)
    content_type = models.CharField(max_length=100, editable=False)
    size = models.PositiveBigIntegerField(default=0, editable=False)
    # The key of links sent before tracked links existed (/d/<token>/).
    token = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")

    def __str__(self) -> str:
        return self.name


class DocumentOpen(models.Model):
    """The customer's opens of a document through the link in one ticket."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="opens")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    first_opened_at = models.DateTimeField()
    last_opened_at = models.DateTimeField()
    open_count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["document", "ticket"], name="document_open_per_ticket")
        ]

    def __str__(self) -> str:
        return f"{self.document} · #{self.ticket_id}"


def video_key(instance, filename: str) -> str:
    return f"videos/{uuid.uuid4().hex}"


class Video(Shared):
    """A video agents send as a play thumbnail that opens our player page: an
    uploaded file (played by the browser's own player) or the address of a
    video elsewhere (YouTube, Vimeo, any https page), linked to, not embedded,
    so the pages keep their strict CSP and the customer's visit stays ours."""

    name = models.CharField(_("name"), max_length=200)
    file = models.FileField(_("file"), upload_to=video_key, blank=True)
    url = models.URLField(_("video address"), max_length=500, blank=True)
    filename = models.CharField(max_length=255, blank=True, editable=False)
    content_type = models.CharField(max_length=100, blank=True, editable=False)
    size = models.PositiveBigIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("video")
        verbose_name_plural = _("videos")
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(file="") & ~models.Q(url=""))
                | (~models.Q(file="") & models.Q(url="")),
                name="video_file_or_address",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def source_name(self) -> str:
        """Where a linked video plays: YouTube, Vimeo or the site's host."""
        host = (urlsplit(self.url).hostname or "").lower().removeprefix("www.")
        if host in {"youtube.com", "youtu.be", "m.youtube.com", "youtube-nocookie.com"}:
            return "YouTube"
        if host in {"vimeo.com", "player.vimeo.com"}:
            return "Vimeo"
        return host


class Currency(models.TextChoices):
    EUR = "EUR", "EUR €"
    USD = "USD", "USD $"
    GBP = "GBP", "GBP £"
    PLN = "PLN", "PLN zł"
    KRW = "KRW", "KRW ₩"
    TWD = "TWD", "TWD NT$"


# Currencies written without minor units.
WHOLE_UNITS = {"KRW"}


class QuoteQuerySet(models.QuerySet):
    def for_deals(self, deal_ids):
        return self.filter(deal_id__in=deal_ids)


class Quote(Shared):
    """An offer on a deal: line items, a currency and an expiry date, shown to
    the customer on a signed page where they can accept it once."""

    deal = models.ForeignKey(
        Deal, verbose_name=_("deal"), on_delete=models.CASCADE, related_name="quotes"
    )
    title = models.CharField(_("title"), max_length=200)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency, default="EUR")
    expires_on = models.DateField(_("valid until"))
    note = models.TextField(_("note to the customer"), blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.CharField(_("accepted by"), max_length=200, blank=True)
    # The ticket whose link the customer accepted through (its timeline says so).
    accepted_ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = QuoteQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")

    def __str__(self) -> str:
        return self.title

    @property
    def decimals(self) -> int:
        return 0 if self.currency in WHOLE_UNITS else 2

    def is_expired(self, today=None) -> bool:
        today = today or timezone.localdate()
        return self.expires_on < today

    @property
    def total(self) -> Decimal:
        """The sum of the lines, rounded half up to the currency's minor unit.
        Reads `lines` (prefetch it for lists)."""
        total = sum((line.amount for line in self.lines.all()), Decimal(0))
        return total.quantize(Decimal(1).scaleb(-self.decimals), rounding=ROUND_HALF_UP)


class QuoteLine(models.Model):
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(default=0)
    description = models.CharField(_("description"), max_length=300)
    quantity = models.DecimalField(
        _("quantity"),
        max_digits=10,
        decimal_places=2,
        default=Decimal(1),
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    unit_price = models.DecimalField(
        _("unit price"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0))],
    )

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="quote_line_quantity"),
            models.CheckConstraint(
                condition=models.Q(unit_price__gte=0), name="quote_line_unit_price"
            ),
        ]

    def __str__(self) -> str:
        return self.description

    @property
    def amount(self) -> Decimal:
        return self.quantity * self.unit_price
