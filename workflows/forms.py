"""The macro form and its action builder.

Actions are rows of the form: each row posts `a<i>-type` and the inputs its
type declares (`Action.inputs()`), named `a<i>-<input>`; `action_index`
lists the rows in their order on the page. A row is redrawn by htmx when its
type (or a choice its other inputs depend on) changes, as the table's
advanced filters redraw their value input for the chosen property.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import Team
from helpdesk.labels import LabelsFormMixin
from tickets.forms import LocalNamesMultipleChoiceField

from . import actions
from .models import Macro


def read_row(data, index: str) -> dict:
    """One posted row as the action's raw dict (validated later)."""
    prefix = f"a{index}-"
    kind = data.get(f"{prefix}type", "")
    handler = actions.ACTIONS.get(kind)
    if handler is None:
        return {"type": kind}
    row = handler.read(lambda n: data.get(prefix + n) or "", lambda n: data.getlist(prefix + n))
    return {"type": kind, **row}


def read_rows(data) -> list[dict]:
    return [read_row(data, i) for i in data.getlist("action_index") if i.isdigit()][
        : actions.MAX_ACTIONS + 1
    ]


def action_types(*, for_macro: bool) -> list[tuple[str, str]]:
    return [
        (key, str(handler.label))
        for key, handler in actions.ACTIONS.items()
        if for_macro or not handler.macro_only
    ]


def builder_row(index: int, row: dict, error: str = "") -> dict:
    """What the builder template draws for one row."""
    handler = actions.ACTIONS.get(row.get("type", ""))
    return {
        "index": index,
        "prefix": f"a{index}-",
        "type": row.get("type", ""),
        "inputs": handler.inputs(row) if handler else [],
        "error": error,
    }


class ActionsFormMixin:
    """The builder's rows, read from the post (or the macro), validated by
    workflows.actions into `instance.actions`; `row_errors` by row."""

    owner = None  # who a new macro will belong to (names are unique per owner)
    for_macro = True  # a rule's form says False: no reply text, its own actions

    def setup_rows(self):
        self.row_errors: dict[int, str] = {}
        self.rows = read_rows(self.data) if self.is_bound else list(self.instance.actions)

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise ValidationError(_("Give the macro a name."))
        owner = self.instance.owner if self.instance.owner_id else self.owner
        taken = Macro.objects.filter(owner=owner, name__iexact=name).exclude(pk=self.instance.pk)
        if owner is not None and taken.exists():
            raise ValidationError(_("There already is a macro with this name."))
        return name

    def clean_actions(self) -> None:
        if not self.rows:
            raise ValidationError(_("Add at least one action."))
        try:
            self.instance.actions = actions.validate(self.rows, for_macro=self.for_macro)
        except actions.ActionsInvalid as error:
            self.row_errors = error.rows
            raise ValidationError(_("Some actions need attention: see the rows below.")) from None
        except ValidationError as error:
            raise ValidationError(error.messages) from None
        self.instance.schema_version = actions.SCHEMA_VERSION

    def builder_rows(self) -> list[dict]:
        return [builder_row(i, row, self.row_errors.get(i, "")) for i, row in enumerate(self.rows)]


class MacroForm(LabelsFormMixin, ActionsFormMixin, forms.ModelForm):
    """A macro in the settings: name, sharing (as custom views share, S27),
    names in other languages and the actions."""

    class Meta:
        model = Macro
        fields = ["name", "sharing", "teams"]
        widgets = {"sharing": forms.RadioSelect}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "teams" in self.fields:
            self.fields["teams"] = LocalNamesMultipleChoiceField(
                label=_("Teams"),
                queryset=Team.objects.all(),
                required=False,
                widget=forms.CheckboxSelectMultiple,
                help_text=_("Members of these teams can apply the macro."),
            )
        self.setup_rows()

    def clean(self):
        data = super().clean()
        if data.get("sharing") == Macro.Sharing.TEAMS and not data.get("teams"):
            self.add_error("teams", _("Choose at least one team to share the macro with."))
        if data.get("sharing") != Macro.Sharing.TEAMS:
            data["teams"] = Team.objects.none()
        self.clean_actions()
        return data


class PersonalMacroForm(ActionsFormMixin, forms.ModelForm):
    """An agent's own macro, private to them: a name and the actions."""

    class Meta:
        model = Macro
        fields = ["name"]

    def __init__(self, *args, owner, **kwargs):
        super().__init__(*args, **kwargs)
        self.owner = owner
        self.setup_rows()

    def clean(self):
        data = super().clean()
        self.clean_actions()
        return data

    def save(self, commit=True):
        macro = super().save(commit=False)
        if macro.owner_id is None:
            macro.owner = self.owner
        macro.sharing = Macro.Sharing.PRIVATE
        if commit:
            macro.save()
        return macro
