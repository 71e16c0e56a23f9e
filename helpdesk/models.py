from django.db import models


class ConfigVersion(models.Model):
    """One row: a number changed in the same transaction as every change to
    the settings a worker keeps in memory (helpdesk.memo). Every process
    reads it once per inbound message, so a change made by any process is
    seen by all of them from their next message on."""

    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"settings version {self.value}"
