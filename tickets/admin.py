from adminsortable2.admin import (
    CustomInlineFormSetMixin,
    SortableAdminMixin,
    SortableTabularInline,
)
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count
from django.forms.models import BaseInlineFormSet
from django.template.response import TemplateResponse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from helpdesk.labels import (
    LabelsFormMixin,
    field_name,
    format_option_labels,
    labels_fieldset,
    local_name_column,
    other_languages,
    parse_option_labels,
)

from . import services
from .models import (
    BUILTIN_PROPERTIES,
    INFO_BUILTINS,
    Pipeline,
    PropertyDefinition,
    SavedView,
    Stage,
    Tag,
    Ticket,
    TicketSettings,
    WorkspaceLayout,
)


def required_property_choices():
    customs = ((d.key, d.local_name) for d in PropertyDefinition.objects.all())
    return [*((key, label) for key, label in BUILTIN_PROPERTIES.items()), *customs]


def channels_starting_in(stage: Stage) -> list[str]:
    """The settings (channels of the apps above this one) whose new tickets
    start in `stage`: their protecting foreign keys, found without importing
    them, so that a deletion is refused with a message instead of an error."""
    names = []
    for relation in Stage._meta.get_fields(include_hidden=True):
        if (
            relation.one_to_many
            and relation.on_delete is models.PROTECT
            and relation.related_model is not Ticket
        ):
            rows = relation.related_model._base_manager.filter(**{relation.field.name: stage})
            names += [str(row) for row in rows[:3]]
    return names


class StageForm(LabelsFormMixin, forms.ModelForm):
    required_properties = forms.MultipleChoiceField(
        label=_("Required properties"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("A ticket can only enter this status with these filled in."),
    )
    move_tickets_to = forms.ModelChoiceField(
        label=_("When deleted, move its tickets to"),
        queryset=Stage.objects.none(),
        required=False,
    )

    class Meta:
        model = Stage
        fields = ["name", "position", "is_closed", "pauses_sla", "required_properties"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["required_properties"].choices = required_property_choices()
        if self.instance.pk:
            self.fields["move_tickets_to"].queryset = Stage.objects.filter(
                pipeline_id=self.instance.pipeline_id
            ).exclude(pk=self.instance.pk)

    def clean(self):
        """A status holding tickets stays open or closed: each of its tickets
        carries that (Ticket.is_open), and the views, counts, SLA clocks and
        status filters read it there. Closing or reopening them all at once,
        with no event, clock or notification, is not what editing a status
        should do; moving them to another status does it ticket by ticket.
        Said above the status's row: its checkbox's cell is too narrow."""
        data = super().clean()
        stage = self.instance
        closed = data.get("is_closed", stage.is_closed)
        if (
            stage.pk
            and closed != stage.is_closed
            and Ticket.objects.filter(stage_id=stage.pk).exists()
        ):
            raise ValidationError(
                _(
                    "The status “%(stage)s” has tickets, so it stays open or closed: "
                    "add a new status and move its tickets there."
                ),
                params={"stage": stage.local_name},
            )
        return data

    def check_delete(self):
        """Replaces the admin's "protected objects" refusal: a stage holding tickets
        may be deleted once the admin chose where its tickets go. The refusal
        names the status as the reader does (issue 14)."""
        stage = self.instance
        if not self.cleaned_data.get("DELETE") or stage._state.adding:
            return
        starting = channels_starting_in(stage)
        if starting:
            raise ValidationError(
                _(
                    "The status “%(stage)s” is where new tickets of “%(channel)s” start: "
                    "choose another status there before deleting it."
                ),
                params={"stage": stage.local_name, "channel": starting[0]},
            )
        if self.cleaned_data.get("move_tickets_to"):
            return
        if Ticket.objects.filter(stage=stage).exists():
            raise ValidationError(
                _("The status “%(stage)s” has tickets: choose where they go before deleting it."),
                params={"stage": stage.local_name},
            )


class StageFormSet(CustomInlineFormSetMixin, BaseInlineFormSet):
    """Deleting a stage moves its tickets to the chosen stage first. The
    position is a hidden input that the rows' drag handle and Move up/Move
    down keys renumber (django-admin-sortable2 and js/admin_sortable_keys.js)."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        # A status is a table row whose column headers are not labels: each
        # field names itself, and the status it belongs to (WCAG 1.3.1, 4.1.2).
        for field in form.fields.values():
            if isinstance(field.widget, forms.CheckboxSelectMultiple | forms.HiddenInput):
                continue
            label = field.label or _("Delete")
            name = f"{label} · {form.instance.name}" if form.instance.pk else str(label)
            field.widget.attrs["aria-label"] = name

    def delete_existing(self, obj, commit=True):
        if not commit:
            return
        form = next(f for f in self.deleted_forms if f.instance.pk == obj.pk)
        services.stage_delete(stage=obj, move_to=form.cleaned_data.get("move_tickets_to"))


class StageInline(SortableTabularInline):
    """Statuses in their order, dragged or moved with the keyboard."""

    model = Stage
    form = StageForm
    formset = StageFormSet
    extra = 0
    ordering = ["position", "id"]

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form.hand_clean_DELETE = StageForm.check_delete
        return formset


def stage_label(stage: Stage) -> str:
    return f"{stage.pipeline} · {stage}"


class StageSelect(forms.Select):
    """A status picker whose options carry their pipeline, so that the admin's
    script (js/admin_stage_picker.js) offers only the chosen pipeline's."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        instance = getattr(value, "instance", None)
        if instance is not None:
            option["attrs"]["data-pipeline"] = instance.pipeline_id
        return option


class PipelineForm(LabelsFormMixin, forms.ModelForm):
    """The statuses a pipeline sets are picked from its own (Pipeline.clean
    refuses others; a new pipeline has none until saved)."""

    class Meta:
        model = Pipeline
        fields = [
            "name",
            "position",
            "stage_on_agent_reply",
            "stage_on_customer_reply",
            "closed_reply",
            "reopen_within_days",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        own = Stage.objects.filter(pipeline_id=self.instance.pk or 0)
        for name in ("stage_on_agent_reply", "stage_on_customer_reply"):
            if name in self.fields:
                self.fields[name].queryset = own


class SortableKeys:
    """Drag to reorder (django-admin-sortable2), and the same by keyboard:
    js/admin_sortable_keys.js makes each handle a button that ArrowUp and
    ArrowDown move, announced in a live region whose words the page carries."""

    # After SortableAdminMixin in the bases: its list template extends this one.
    change_form_template = "admin/sortable_change_form.html"
    change_list_template = "admin/sortable_change_list.html"

    @property
    def media(self):
        return super().media + forms.Media(js=["js/admin_sortable_keys.js"])


@admin.register(Pipeline)
class PipelineAdmin(SortableAdminMixin, SortableKeys, admin.ModelAdmin):
    form = PipelineForm
    list_display = ["position", local_name_column(Pipeline)]
    fieldsets = [
        (None, {"fields": PipelineForm.Meta.fields}),
        labels_fieldset(),
    ]
    inlines = [StageInline]


def _option_label_fields() -> dict:
    return {
        field_name(code, "options"): forms.CharField(
            label=name,
            required=False,
            widget=forms.Textarea(attrs={"rows": 4}),
            help_text=_("One “option = label” per line; an option without a label shows as it is."),
        )
        for code, name in other_languages()
    }


# A text per other UI language: its options' labels, as "option = label" lines.
_OptionLabelFields = type("_OptionLabelFields", (forms.Form,), _option_label_fields())


class PropertyDefinitionForm(LabelsFormMixin, _OptionLabelFields, forms.ModelForm):
    choices = forms.CharField(
        label=_("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One option per line, for choice properties."),
    )

    class Meta:
        model = PropertyDefinition
        fields = ["key", "label", "type", "choices", "on_create_form", "in_sidebar", "position"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["choices"] = "\n".join(self.instance.choices)
            self.fields["key"].disabled = True
        for code, _name in other_languages():
            self.initial[field_name(code, "options")] = format_option_labels(
                self.instance.choice_labels, code, self.instance.choices
            )

    def clean_key(self):
        key = self.cleaned_data["key"]
        if key in BUILTIN_PROPERTIES or not key.replace("_", "").isalnum():
            raise ValidationError(
                _("Use lower-case letters, digits and underscores, not a built-in name.")
            )
        return key.lower()

    def clean_choices(self):
        lines = (line.strip() for line in self.cleaned_data["choices"].splitlines())
        return list(dict.fromkeys(line for line in lines if line))

    def clean(self):
        """Option labels per language, kept for the options that remain: a line
        of an option removed in the same save is dropped, not refused."""
        data = super().clean()
        options = data.get("choices") or []
        # The row still holds the choices it had before this save.
        known = [*options, *(c for c in self.instance.choices if c not in options)]
        labels: dict[str, dict[str, str]] = {}
        for code, _name in other_languages():
            name = field_name(code, "options")
            try:
                found = parse_option_labels(data.get(name, ""), known)
            except ValidationError as error:
                self.add_error(name, error)
                continue
            for option, label in found.items():
                if option in options:
                    labels.setdefault(option, {})[code] = label
        self.instance.choice_labels = labels
        return data


@admin.register(PropertyDefinition)
class PropertyDefinitionAdmin(SortableAdminMixin, SortableKeys, admin.ModelAdmin):
    """Custom ticket properties (S9) and which appear on the create form (S5),
    in the order they are offered."""

    form = PropertyDefinitionForm
    fieldsets = [
        (None, {"fields": PropertyDefinitionForm.Meta.fields}),
        labels_fieldset(title=_("Labels in other languages")),
        labels_fieldset("options", _("Options in other languages")),
    ]
    list_display = [
        "position",
        local_name_column(PropertyDefinition, "label"),
        "key",
        "type",
        "on_create_form",
        "in_sidebar",
    ]
    list_editable = ["on_create_form", "in_sidebar"]


class WorkspaceLayoutForm(forms.ModelForm):
    """Which properties the ticket information section shows, in their default
    order (S29); each agent may reorder them for themselves."""

    properties = forms.MultipleChoiceField(
        label=_("Properties shown"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Leave all unticked for the default: every built-in property and the "
            "custom properties marked “show in the ticket sidebar”."
        ),
    )

    class Meta:
        model = WorkspaceLayout
        fields = ["properties"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["properties"].choices = [
            *INFO_BUILTINS.items(),
            *((d.key, d.local_name) for d in PropertyDefinition.objects.all()),
        ]


@admin.register(WorkspaceLayout)
class WorkspaceLayoutAdmin(admin.ModelAdmin):
    form = WorkspaceLayoutForm

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not WorkspaceLayout.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TicketSettings)
class TicketSettingsAdmin(admin.ModelAdmin):
    """Who follows tickets automatically, and how long deleted tickets wait (S11)."""

    list_display = ["__str__", "owners_follow", "mentioned_follow", "keep_deleted_days"]

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not TicketSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


class SavedViewForm(LabelsFormMixin, forms.ModelForm):
    class Meta:
        model = SavedView
        fields = ["name", "sharing", "teams"]


@admin.register(SavedView)
class SavedViewAdmin(admin.ModelAdmin):
    """Custom views (S27): rename, reshare or delete any of them."""

    form = SavedViewForm

    list_display = [local_name_column(SavedView), "owner", "sharing", "created_at"]
    list_filter = ["sharing"]
    search_fields = ["name", "owner__username"]
    filter_horizontal = ["teams"]
    readonly_fields = ["filters", "sort", "owner"]


class TagForm(forms.ModelForm):
    class Meta:
        model = Tag
        fields = ["name", "colour"]

    def clean_name(self):
        """Stored as ticket_tag stores typed names: trimmed, one space between
        words; the database refuses a name another tag has in any case."""
        try:
            return services.tag_clean_name(self.cleaned_data["name"])
        except ValidationError as error:
            raise forms.ValidationError(error.messages) from None


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    """Tags (issue 17): rename, colour, and merge duplicates ("refunds" into
    "refund"). Agents create tags as they type them on tickets."""

    form = TagForm
    list_display = ["name", "shown_as", "colour", "ticket_count", "created_at"]
    list_editable = ["colour"]
    search_fields = ["name"]
    actions = ["merge_tags"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(ticket_count=Count("ticket_links"))

    @admin.display(description=_("shown as"))
    def shown_as(self, tag):
        return format_html('<span class="tag tag-{}">{}</span>', tag.colour or "grey", tag.name)

    @admin.display(description=_("tickets"), ordering="ticket_count")
    def ticket_count(self, tag):
        return tag.ticket_count

    @admin.action(description=_("Merge the selected tags into one"))
    def merge_tags(self, request, queryset):
        """First a page to choose the tag that stays; then the merge."""
        tags = list(queryset.order_by("-ticket_count", "name"))
        if len(tags) < 2:
            self.message_user(request, _("Select at least two tags to merge."), messages.WARNING)
            return None
        into = next((t for t in tags if str(t.pk) == request.POST.get("into")), None)
        if into is None or "apply" not in request.POST:
            context = {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": _("Merge tags"),
                "tags": tags,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/tickets/tag/merge.html", context)
        moved = services.tags_merge(into=into, tags=tags)
        self.message_user(
            request,
            ngettext(
                "Merged into “%(tag)s”; %(count)d ticket got the tag.",
                "Merged into “%(tag)s”; %(count)d tickets got the tag.",
                moved,
            )
            % {"tag": into.name, "count": moved},
            messages.SUCCESS,
        )
        return None
