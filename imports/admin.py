"""Settings → Import (S12): upload a file, map its columns, preview, dry
run with a per-row error report, and the import in the worker with its
progress. Admins only: the settings site's model permissions decide."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from tickets.models import Priority

from . import services
from .fields import targets
from .files import FileRefused, read_csv
from .models import ImportJob

SAMPLE_ROWS = 3
PREVIEW_ROWS = 5
ERRORS_SHOWN = 50


class UploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("What the file holds"), choices=ImportJob.Kind.choices
    )
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy(
            "A CSV file (UTF-8 or UTF-16, any delimiter) with a header row, or Zendesk's "
            "JSON export (a .json file or a .zip of them)."
        ),
    )
    run_rules = forms.BooleanField(
        label=gettext_lazy("Run rules on the imported tickets"),
        required=False,
        help_text=ImportJob._meta.get_field("run_rules").help_text,
    )

    def clean_file(self):
        file = self.cleaned_data["file"]
        if file.size > settings.HELPDESK_IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)s MB.")
                % {"size": settings.HELPDESK_IMPORT_MAX_BYTES // 2**20}
            )
        return file


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = [
        "file_name",
        "kind",
        "status",
        "created",
        "updated",
        "unchanged",
        "skipped",
        "created_at",
        "created_by",
    ]
    list_filter = ["kind", "status"]
    list_select_related = ["created_by"]
    search_fields = ["file_name"]

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/progress/", view(self.progress_view), name="imports_importjob_progress"),
            path("<int:pk>/report/", view(self.report_view), name="imports_importjob_report"),
            path(
                "<int:pk>/start/",
                view(require_POST(self.start_view)),
                name="imports_importjob_start",
            ),
            *super().get_urls(),
        ]

    def _job(self, request, pk) -> ImportJob:
        if not self.has_change_permission(request):
            raise Http404
        return get_object_or_404(ImportJob, pk=pk)

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise Http404
        form = UploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                job = services.job_create(
                    actor=request.user,
                    kind=form.cleaned_data["kind"],
                    name=upload.name,
                    data=upload.read(),
                    run_rules=form.cleaned_data["run_rules"],
                )
            except FileRefused as refused:
                form.add_error("file", refused.message)
            else:
                return redirect("admin:imports_importjob_change", job.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import a file"),
            "form": form,
        }
        return TemplateResponse(request, "imports/admin/upload.html", context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        job = self._job(request, object_id)
        problems: list[str] = []
        if request.method == "POST" and not job.is_active:
            mapping = {
                key.removeprefix("column-"): value
                for key, value in request.POST.items()
                if key.startswith("column-")
            }
            job.run_rules = request.POST.get("run_rules") == "on"
            job.save(update_fields=["run_rules"])
            problems = services.job_check(
                job, mapping if job.kind != ImportJob.Kind.ZENDESK else None
            )
            if not problems:
                return redirect("admin:imports_importjob_change", job.pk)
        return TemplateResponse(
            request, "imports/admin/job.html", self.job_context(request, job, problems)
        )

    def job_context(self, request, job: ImportJob, problems) -> dict:
        columns = []
        if job.kind != ImportJob.Kind.ZENDESK:
            samples: list[list[str]] = []
            for _line, cells in read_csv(services.job_data(job)).rows():
                samples.append(cells)
                if len(samples) >= SAMPLE_ROWS:
                    break
            for index, name in enumerate(job.header):
                columns.append(
                    {
                        "index": index,
                        "name": name,
                        "samples": [
                            row[index] for row in samples if index < len(row) and row[index].strip()
                        ],
                        "target": job.mapping.get(str(index), ""),
                    }
                )
        preview = None
        if job.status != ImportJob.Status.MAPPING:
            preview = services.job_preview(job, PREVIEW_ROWS)
            labels = dict(Priority.choices)
            for record in preview.records:
                record.priority_label = labels.get(getattr(record, "priority", ""), "")
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": job.file_name,
            "original": job,
            "job": job,
            "zendesk": job.kind == ImportJob.Kind.ZENDESK,
            "columns": columns,
            "targets": targets(job.kind) if columns else [],
            "problems": problems,
            "preview": preview,
            "errors_shown": job.errors[:ERRORS_SHOWN],
            "error_lines": len({line for line, _c, _m in job.errors}),
        }

    def start_view(self, request, pk):
        job = self._job(request, pk)
        if job.status == ImportJob.Status.MAPPING:
            messages.error(request, _("Check the file before importing it."))
        elif not services.job_start(job):
            messages.warning(request, _("This import is already running."))
        return redirect("admin:imports_importjob_change", job.pk)

    def progress_view(self, request, pk):
        job = self._job(request, pk)
        return TemplateResponse(request, "imports/admin/job.html#progress", {"job": job})

    def report_view(self, request, pk):
        job = self._job(request, pk)
        response = HttpResponse(services.error_report(job), content_type="text/csv; charset=utf-8")
        name = job.file_name.rsplit(".", 1)[0] or "import"
        response["Content-Disposition"] = f'attachment; filename="{name}-errors.csv"'
        return response
