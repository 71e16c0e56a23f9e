from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Team
from helpdesk.labels import LocalNames
from tickets.models import SavedView

from . import actions as actions_module


class Macro(LocalNames, models.Model):
    """A named list of actions an agent applies to a ticket in one click
    (issue 17). Personal (private) or shared with chosen teams or everyone,
    exactly as custom views are (S27): `SavedView.Sharing`."""

    Sharing = SavedView.Sharing

    name = models.CharField(_("name"), max_length=100)
    labels = models.JSONField(_("names in other languages"), default=dict, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.CASCADE,
        related_name="macros",
    )
    sharing = models.CharField(
        _("sharing"), max_length=10, choices=Sharing, default=Sharing.PRIVATE
    )
    teams = models.ManyToManyField(Team, verbose_name=_("teams"), blank=True)
    # Validated by workflows.actions.validate(for_macro=True); the version says
    # how to read rows written before a change of their shape.
    actions = models.JSONField(_("actions"), default=list, blank=True)
    schema_version = models.PositiveSmallIntegerField(default=actions_module.SCHEMA_VERSION)
    position = models.PositiveIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last modified"), auto_now=True)

    class Meta:
        ordering = ["position", "name", "id"]
        verbose_name = _("macro")
        verbose_name_plural = _("macros")
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="macro_unique_name_per_owner")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_shared(self) -> bool:
        return self.sharing != self.Sharing.PRIVATE

    def clean(self):
        self.actions = actions_module.validate(self.actions, for_macro=True)
        self.schema_version = actions_module.SCHEMA_VERSION

    @property
    def has_reply(self) -> bool:
        return any(row.get("type") == "reply_text" for row in self.actions)
