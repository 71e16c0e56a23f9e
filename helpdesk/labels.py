"""Names admins give in every UI language (issue 14).

Pipelines, statuses, teams, custom properties (and their options) and custom
views have an English name and, in `labels`, a name per other UI language
({"ko": "열림", "zh-hant": "開啟"}). Agents see the name of the active
language, the English one when none is set. The labels ride on the row that
is loaded anyway, so showing them costs no query.

A leaf module under every app (pyproject's import contracts): models use the
mixin, admin forms the fields.
"""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext_lazy as _

MAX_LENGTH = 100


def other_languages() -> list[tuple[str, str]]:
    """The UI languages besides English, as (code, native name)."""
    return [(code, name) for code, name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]


def local_label(labels: dict | None, fallback: str) -> str:
    """The label for the active language, else `fallback` (the English name)."""
    if not labels:
        return fallback
    language = (translation.get_language() or "").lower()
    return labels.get(language) or labels.get(language.split("-")[0]) or fallback


def clean_labels(labels: dict) -> dict:
    """Labels as stored: known languages only, trimmed, blanks left out (a blank
    means "use the English name"), each at most MAX_LENGTH characters."""
    known = {code for code, _name in other_languages()}
    cleaned = {}
    for code, label in labels.items():
        code = str(code).lower()
        label = " ".join(str(label or "").split())
        if code in known and label:
            cleaned[code] = label[:MAX_LENGTH]
    return cleaned


class LocalNames:
    """For models with a `labels` JSON field: `local_name` is what agents read."""

    labels: dict
    name_field = "name"

    @property
    def local_name(self) -> str:
        return local_label(self.labels, getattr(self, self.name_field))


def local_name_column(model, field: str = "name"):
    """An admin list column of the row's name in the reader's language,
    headed and sorted like the English name's field (the admin shows a field
    itself, not its label, in a column named after it)."""

    def column(obj) -> str:
        return obj.local_name

    column.short_description = model._meta.get_field(field).verbose_name
    column.admin_order_field = field
    column.__name__ = f"local_{field}"
    return column


def field_name(code: str, prefix: str = "label") -> str:
    return f"{prefix}_{code.replace('-', '_')}"


def _label_fields() -> dict:
    return {
        field_name(code): forms.CharField(
            # The language's own name: the admin who fills it in reads it.
            label=name,
            required=False,
            max_length=MAX_LENGTH,
            help_text=_("Blank: agents see the English name."),
        )
        for code, name in other_languages()
    }


# One text field per other UI language, declared so that the admin (which lays
# out a form by its declared fields) shows them in the change form and inlines.
_LabelFields = type("_LabelFields", (forms.Form,), {**_label_fields(), "__module__": __name__})


class LabelsFormMixin(_LabelFields):
    """Mix into a ModelForm of a LocalNames model, before forms.ModelForm:
    the fields show the row's labels and write them back to `instance.labels`."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        labels = self.instance.labels or {}
        for code, _name in other_languages():
            self.initial.setdefault(field_name(code), labels.get(code, ""))

    def clean(self):
        data = super().clean()
        self.instance.labels = clean_labels(
            {code: data.get(field_name(code), "") for code, _name in other_languages()}
        )
        return data


def parse_option_labels(text: str, options: list[str]) -> dict[str, str]:
    """Lines "option = label" as {option: label}. An option may itself hold an
    "=", so a line is matched against the options, longest first."""
    found: dict[str, str] = {}
    by_length = sorted(options, key=len, reverse=True)
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        for option in by_length:
            rest = line[len(option) :].lstrip() if line.startswith(option) else ""
            if rest.startswith("="):
                label = " ".join(rest[1:].split())
                if len(label) > MAX_LENGTH:
                    raise ValidationError(
                        _("Keep each label to %(max)d characters."), params={"max": MAX_LENGTH}
                    )
                if label:
                    found[option] = label
                break
        else:
            raise ValidationError(
                _("“%(line)s” does not start with one of the options and “=”."),
                params={"line": line[:60]},
            )
    return found


def format_option_labels(labels: dict[str, dict], code: str, options: list[str]) -> str:
    """The text parse_option_labels reads, one line per option."""
    return "\n".join(f"{o} = {labels.get(o, {}).get(code, '')}".rstrip() for o in options)


def labels_fieldset(prefix: str = "label", title=None) -> tuple:
    """An admin fieldset of the fields per other language."""
    fields = [field_name(code, prefix) for code, _name in other_languages()]
    return (title or _("Names in other languages"), {"fields": fields})
