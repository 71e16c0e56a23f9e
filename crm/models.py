from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from accounts.models import person_name


def _oldest(queryset):
    """The first-created row of a small set. Sorting in Python on purpose: with
    ORDER BY id LIMIT 1 PostgreSQL walks the primary key and filters every row
    when nothing matches."""
    return min(queryset, key=lambda row: row.pk, default=None)


class CompanyQuerySet(models.QuerySet):
    def with_domain(self, domain: str):
        """Companies of `domain`, any case, through the lower(domain) index."""
        return self.annotate(domain_lower=Lower("domain")).filter(domain_lower=domain.lower())


class ContactQuerySet(models.QuerySet):
    def with_email(self, address: str):
        """Contacts with `address`, any case, through the lower(email) index
        (`email__iexact` compares upper() and would read the whole table)."""
        return self.with_lowered_email(address.lower())

    def with_lowered_email(self, address: str):
        """with_email() for an address already in lower case: a prepared query
        (helpdesk.prepared) compares its value as it is."""
        return self.annotate(email_lower=Lower("email")).filter(email_lower=address)

    def oldest_with_email(self, address: str):
        return _oldest(self.with_email(address)[:20])


class Company(models.Model):
    name = models.CharField(_("name"), max_length=200)
    domain = models.CharField(_("domain"), max_length=200, blank=True)
    # The record's id in the system it was imported from (imports): a second
    # import of the same file updates the record instead of adding another.
    external_id = models.CharField(
        _("external ID"), max_length=100, blank=True, default="", db_default=""
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CompanyQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        indexes = [models.Index(Lower("domain"), name="company_domain_lower")]
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"], condition=~Q(external_id=""), name="company_external_id"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Contact(models.Model):
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone number"), max_length=40, blank=True)
    mobile = models.CharField(_("mobile phone number"), max_length=40, blank=True)
    company = models.ForeignKey(
        Company,
        verbose_name=_("company"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contacts",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Mail to `email` bounced (a delivery report for one of our replies); cleared
    # when mail from the address arrives again.
    email_bounced_at = models.DateTimeField(_("email bounced"), null=True, blank=True)
    # The record's id in the system it was imported from (imports): a second
    # import of the same file updates the record instead of adding another.
    external_id = models.CharField(
        _("external ID"), max_length=100, blank=True, default="", db_default=""
    )

    objects = ContactQuerySet.as_manager()

    class Meta:
        ordering = ["first_name", "last_name", "id"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [models.Index(Lower("email"), name="contact_email_lower")]
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"], condition=~Q(external_id=""), name="contact_external_id"
            )
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        name = person_name(self.first_name, self.last_name)
        return name or self.email or self.phone or self.mobile or f"#{self.pk}"


class Deal(models.Model):
    class Stage(models.TextChoices):
        APPOINTMENT = "appointment", _("Appointment scheduled")
        QUALIFIED = "qualified", _("Qualified to buy")
        CONTRACT = "contract", _("Contract sent")
        WON = "won", _("Closed won")
        LOST = "lost", _("Closed lost")

    name = models.CharField(_("name"), max_length=200)
    amount = models.DecimalField(
        _("amount"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    stage = models.CharField(
        _("deal stage"), max_length=20, choices=Stage, default=Stage.APPOINTMENT
    )
    company = models.ForeignKey(
        Company,
        verbose_name=_("company"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deals",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CompanyQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("deal")
        verbose_name_plural = _("deals")

    def __str__(self) -> str:
        return self.name
