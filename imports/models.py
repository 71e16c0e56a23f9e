from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class ImportJob(models.Model):
    """One file an admin imports (S12): what it holds, how its columns map to
    our fields, the dry run's findings and the import's progress and counts.

    The file itself stays in the default storage until the job is deleted:
    the worker reads it, and a second run of the same file updates what the
    first one stored (matched by external id).
    """

    class Kind(models.TextChoices):
        CONTACTS = "contacts", _("Contacts")
        COMPANIES = "companies", _("Companies")
        TICKETS = "tickets", _("Tickets")
        ZENDESK = "zendesk", _("Zendesk export")

    class NotResumed(models.TextChoices):
        RESTARTS = "restarts", _("The worker kept stopping")
        FILE_GONE = "file_gone", _("The file is gone")

    class Status(models.TextChoices):
        MAPPING = "mapping", _("Columns to map")
        CHECKED = "checked", _("Checked")
        QUEUED = "queued", _("Waiting for the worker")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("what it holds"), max_length=20, choices=Kind)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    file_name = models.CharField(_("file name"), max_length=255)
    encoding = models.CharField(max_length=20, blank=True)
    delimiter = models.CharField(max_length=1, blank=True)
    header = models.JSONField(default=list, blank=True)
    # {column index as text: target field}; "" or missing = not imported.
    mapping = models.JSONField(default=dict, blank=True)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    run_rules = models.BooleanField(
        _("run rules on the imported tickets"),
        default=False,
        help_text=_(
            "Off: imported tickets are history and set off no rule. Mail is never sent "
            "and SLA alerts are never raised for moments already past."
        ),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.MAPPING)
    processed = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    skipped = models.PositiveIntegerField(_("skipped"), default=0)
    # [[row number, column, message], ...] of the last dry run or import.
    errors = models.JSONField(default=list, blank=True)
    error_count = models.PositiveIntegerField(default=0)
    failure = models.TextField(_("failure"), blank=True)
    # Why an import whose worker stopped was not resumed (services.jobs_recover_stale),
    # kept as a code so that each admin reads it in their own language.
    not_resumed = models.CharField(max_length=20, blank=True, db_default="", choices=NotResumed)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    # The worker's sign of life, written with each committed batch: a running
    # import whose heartbeat stops is restarted (services.jobs_recover_stale).
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # Batches committed so far, with the counts above: where a restart resumes.
    batches_done = models.PositiveIntegerField(default=0)
    # Restarts after a worker stopped; also the claim a worker writes under,
    # so a worker that was given up on cannot write over its successor.
    restarts = models.PositiveSmallIntegerField(default=0)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return self.file_name

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def failure_text(self) -> str:
        """What went wrong, in the reader's language where we wrote it."""
        if self.not_resumed == self.NotResumed.RESTARTS:
            return gettext(
                "The worker stopped %(count)d times during this import, so it was not "
                "restarted again. Retry imports the file from the start: rows already "
                "imported are updated, not duplicated."
            ) % {"count": self.restarts + 1}
        if self.not_resumed == self.NotResumed.FILE_GONE:
            return gettext(
                "The worker stopped during this import and the uploaded file is gone. "
                "Upload the file again."
            )
        return self.failure

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return 100 if self.status == self.Status.DONE else 0
        return min(100, self.processed * 100 // self.total_rows)
