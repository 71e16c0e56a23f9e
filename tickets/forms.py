from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import Team, User
from crm.models import Company, Contact

from .models import (
    BUILTIN_PROPERTIES,
    Category,
    Pipeline,
    Priority,
    PropertyDefinition,
    SavedView,
    Stage,
)


class LocalNameChoiceField(forms.ModelChoiceField):
    """Pipelines, statuses and teams offered by their name in the agent's language."""

    def label_from_instance(self, obj) -> str:
        return obj.local_name


class LocalNamesMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.local_name


def property_field(definition: PropertyDefinition, *, required: bool = False) -> forms.Field:
    """The form field for a custom property, validated by its type (S9)."""
    common = {"label": definition.local_name, "required": required}
    if definition.type == PropertyDefinition.Type.NUMBER:
        return forms.DecimalField(max_digits=18, decimal_places=6, **common)
    if definition.type == PropertyDefinition.Type.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if definition.type == PropertyDefinition.Type.CHOICE:
        choices = [("", "—"), *definition.local_choices]
        return forms.ChoiceField(choices=choices, **common)
    return forms.CharField(max_length=1000, **common)


def owner_choices():
    return User.objects.filter(is_active=True).order_by("first_name", "last_name", "username")


class PropertyFieldsMixin:
    """Adds custom property fields and splits cleaned data into built-ins and customs."""

    def add_property_fields(self, definitions, required_keys=()):
        for definition in definitions:
            name = f"prop_{definition.key}"
            self.fields[name] = property_field(definition, required=definition.key in required_keys)

    def custom_properties(self) -> dict:
        return {
            name.removeprefix("prop_"): value
            for name, value in self.cleaned_data.items()
            if name.startswith("prop_")
        }


class TicketCreateForm(PropertyFieldsMixin, forms.Form):
    """The Create ticket panel (S5). The pipeline decides the stages offered; a
    conditional stage adds its required properties to the same form (S7)."""

    name = forms.CharField(label=_("Ticket name"), max_length=255)
    pipeline = LocalNameChoiceField(
        label=_("Pipeline"), queryset=Pipeline.objects.all(), empty_label=None
    )
    stage = LocalNameChoiceField(label=_("Ticket status"), queryset=Stage.objects.none())
    owner = forms.ModelChoiceField(
        label=_("Ticket owner"),
        queryset=owner_choices(),
        required=False,
        empty_label=_("Unassigned"),
    )
    team = LocalNameChoiceField(
        label=_("Team"), queryset=Team.objects.all(), required=False, empty_label="—"
    )
    priority = forms.ChoiceField(
        label=_("Priority"), choices=[("", "—"), *Priority.choices], required=False
    )
    category = forms.ChoiceField(
        label=_("Category"), choices=[("", "—"), *Category.choices], required=False
    )
    description = forms.CharField(
        label=_("Ticket description"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=20_000,
    )
    company = forms.ModelChoiceField(
        label=_("Company"), queryset=Company.objects.all(), required=False
    )
    contacts = forms.ModelMultipleChoiceField(
        label=_("Contacts"), queryset=Contact.objects.all(), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        source = self.data if self.is_bound else self.initial
        pipeline = self._chosen(Pipeline.objects.all(), source.get("pipeline"))
        if pipeline is None:
            pipeline = Pipeline.objects.first()
        if not self.is_bound:
            self.initial["pipeline"] = pipeline.pk if pipeline else None
        self.fields["stage"].queryset = Stage.objects.filter(pipeline=pipeline)
        stage = self._chosen(self.fields["stage"].queryset, source.get("stage"))
        if stage is None and not self.is_bound:
            stage = self.fields["stage"].queryset.first()
        if not self.is_bound:
            self.initial["stage"] = stage.pk if stage else None
        self.stage_obj = stage
        required = set(stage.required_properties) if stage else set()
        for key in required & set(BUILTIN_PROPERTIES):
            self.fields[key].required = True
        self.add_property_fields(
            PropertyDefinition.objects.filter(on_create_form=True)
            | PropertyDefinition.objects.filter(key__in=required),
            required_keys=required,
        )

    @staticmethod
    def _chosen(queryset, value):
        value = getattr(value, "pk", value)
        if not value or not str(value).isdigit():
            return None
        return queryset.filter(pk=value).first()

    def picked(self, name: str) -> list:
        """The records chosen so far in a picker, to show them again as chips."""
        source = self.data if self.is_bound else self.initial
        values = source.getlist(name) if hasattr(source, "getlist") else source.get(name)
        if not isinstance(values, list | tuple):
            values = [values]
        ids = [v for v in values if str(v).isdigit()]
        return list(self.fields[name].queryset.filter(pk__in=ids)) if ids else []

    def property_bound_fields(self):
        return [self[name] for name in self.fields if name.startswith("prop_")]


class StageChangeForm(PropertyFieldsMixin, forms.Form):
    """Asks for what a conditional stage requires, in the same action (S7)."""

    stage = LocalNameChoiceField(queryset=Stage.objects.none())

    def __init__(self, *args, ticket, stage: Stage | None = None, stages=None, **kwargs):
        """`stages`: those the agent may choose from; the ticket's pipeline's by
        default (moving to another pipeline offers the others')."""
        super().__init__(*args, **kwargs)
        self.fields["stage"].queryset = ticket.pipeline.stages.all() if stages is None else stages
        self.ticket = ticket
        self.stage_obj = stage
        if stage is None:
            return
        required = [k for k in stage.required_properties if ticket.property_value(k) in (None, "")]
        builtin = {
            # Required choices start empty, so the agent picks one deliberately.
            "owner": forms.ModelChoiceField(
                label=_("Ticket owner"), queryset=owner_choices(), empty_label="—"
            ),
            "team": LocalNameChoiceField(
                label=_("Team"), queryset=Team.objects.all(), empty_label="—"
            ),
            "priority": forms.ChoiceField(
                label=_("Priority"), choices=[("", "—"), *Priority.choices]
            ),
            "category": forms.ChoiceField(
                label=_("Category"), choices=[("", "—"), *Category.choices]
            ),
            "description": forms.CharField(
                label=_("Ticket description"), widget=forms.Textarea(attrs={"rows": 3})
            ),
        }
        for key in required:
            if key in builtin:
                self.fields[key] = builtin[key]
        self.add_property_fields(
            PropertyDefinition.objects.filter(key__in=required), required_keys=required
        )

    def builtin_values(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k in BUILTIN_PROPERTIES}


class FieldEditForm(forms.Form):
    """One field edited in place (S8): the name, owner, priority or category in
    the header, the team or description in the sidebar."""

    name = forms.CharField(label=_("Ticket name"), max_length=255)
    description = forms.CharField(
        label=_("Ticket description"), required=False, max_length=20_000, strip=True
    )
    owner = forms.ModelChoiceField(queryset=owner_choices(), required=False)
    team = LocalNameChoiceField(queryset=Team.objects.all(), required=False)
    priority = forms.ChoiceField(choices=[("", "—"), *Priority.choices], required=False)
    category = forms.ChoiceField(choices=[("", "—"), *Category.choices], required=False)

    def __init__(self, *args, field: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields = {field: self.fields[field]}


class PropertyEditForm(PropertyFieldsMixin, forms.Form):
    """One custom property edited in the sidebar (S9)."""

    def __init__(self, *args, definition: PropertyDefinition, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_property_fields([definition])


def attach_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form field it names, else on the
    form itself (custom properties live in fields named prop_<key>)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for key, messages in error.message_dict.items():
        field = key if key in form.fields else f"prop_{key}"
        for message in messages:
            form.add_error(field if field in form.fields else None, message)


class SavedViewForm(forms.ModelForm):
    """Name and sharing of a custom view (S27); its filters come from the table."""

    class Meta:
        model = SavedView
        fields = ["name", "sharing", "teams"]
        widgets = {
            "sharing": forms.RadioSelect,
            "teams": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["teams"] = LocalNamesMultipleChoiceField(
            label=self.fields["teams"].label,
            queryset=Team.objects.all(),
            required=False,
            widget=forms.CheckboxSelectMultiple,
        )
        self.fields["teams"].help_text = _("Members of these teams see the view.")

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise ValidationError(_("Give the view a name."))
        owner = self.instance.owner if self.instance.pk else self.user
        taken = SavedView.objects.filter(owner=owner, name__iexact=name).exclude(
            pk=self.instance.pk
        )
        if taken.exists():
            raise ValidationError(_("You already have a view with this name."))
        return name

    def clean(self):
        data = super().clean()
        if data.get("sharing") == SavedView.Sharing.TEAMS and not data.get("teams"):
            self.add_error("teams", _("Choose at least one team to share the view with."))
        if data.get("sharing") != SavedView.Sharing.TEAMS:
            data["teams"] = Team.objects.none()
        return data
