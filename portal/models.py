"""The customer portal's own rows: one-time sign-in links, which companies
share their tickets among their contacts, and where new requests land."""

import secrets

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Team
from crm.models import Company, Contact
from tickets.models import Pipeline, Stage


def link_nonce() -> str:
    return secrets.token_hex(16)  # 128 bits (RELIABILITY rule 3)


class SignInLink(models.Model):
    """A one-time sign-in link emailed to a contact. The link itself is never
    stored: it is this row's id and nonce signed with the SECRET_KEY
    (portal/links.py), so neither a copy of the database nor the queue gives
    anyone a way in. `used_at` is set by one conditional UPDATE: a link works
    once, however many tabs open it at the same moment."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    nonce = models.CharField(max_length=32, default=link_nonce, editable=False)
    # The address the link was sent to (the contact's address may change later).
    email = models.EmailField()
    # The language of the page that asked for it: the email's language.
    language = models.CharField(max_length=10, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["created_at"], name="portal_link_created")]

    def __str__(self) -> str:
        return f"sign-in link {self.pk} for {self.contact_id}"


class SharedCompany(models.Model):
    """A company whose contacts see each other's tickets in the portal (the
    company's tickets: those associated with it and those of its contacts)."""

    company = models.OneToOneField(
        Company, verbose_name=_("company"), on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        verbose_name = _("company sharing its tickets in the portal")
        verbose_name_plural = _("companies sharing their tickets in the portal")

    def __str__(self) -> str:
        return str(self.company)


class PortalSettings(models.Model):
    """Where requests opened in the portal land (one row; defaults without it)."""

    pipeline = models.ForeignKey(
        Pipeline,
        verbose_name=_("pipeline for new requests"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    stage = models.ForeignKey(
        Stage,
        verbose_name=_("status for new requests"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("team for new requests"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("customer portal settings")
        verbose_name_plural = _("customer portal settings")

    def __str__(self) -> str:
        return str(_("Customer portal settings"))

    def clean(self) -> None:
        if self.stage_id and (
            self.stage.is_closed
            or (self.pipeline_id and self.stage.pipeline_id != self.pipeline_id)
        ):
            raise ValidationError(
                {"stage": _("Choose an open status of the pipeline for new requests.")}
            )

    @classmethod
    def current(cls) -> "PortalSettings":
        return cls.objects.select_related("pipeline", "stage", "team").first() or cls()

    def landing(self) -> tuple[Pipeline, Stage]:
        """The pipeline and open status a new request enters: the settings'
        when they fit together, else the first pipeline's first open status."""
        if (
            self.pipeline_id
            and self.stage_id
            and self.stage.pipeline_id == self.pipeline_id
            and not self.stage.is_closed
        ):
            return self.pipeline, self.stage
        pipeline = self.pipeline or Pipeline.objects.order_by("position", "id").first()
        if pipeline is None:
            raise Pipeline.DoesNotExist
        stage = pipeline.first_open_stage()
        if stage is None:
            raise Stage.DoesNotExist
        return pipeline, stage
