"""Settings → Help center: the categories and their sections (articles are
written in the workspace, at /knowledge/)."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from helpdesk.labels import LabelsFormMixin, field_name, labels_fieldset, other_languages

from .models import Category, Section

_description_fields = {
    field_name(code, "description"): forms.CharField(
        label=name, required=False, max_length=300, widget=forms.TextInput(attrs={"size": 60})
    )
    for code, name in other_languages()
}
_DescriptionFields = type(
    "_DescriptionFields", (forms.Form,), {**_description_fields, "__module__": __name__}
)


class CategoryForm(LabelsFormMixin, _DescriptionFields, forms.ModelForm):
    """The name and the description, each in every UI language."""

    class Meta:
        model = Category
        fields = ["name", "slug", "description", "icon", "position"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for code, _name in other_languages():
            value = (self.instance.descriptions or {}).get(code, "")
            self.initial.setdefault(field_name(code, "description"), value)

    def clean(self):
        data = super().clean()
        self.instance.descriptions = {
            code: " ".join(data.get(field_name(code, "description"), "").split())
            for code, _name in other_languages()
            if data.get(field_name(code, "description"), "").strip()
        }
        return data


class SectionForm(LabelsFormMixin, forms.ModelForm):
    class Meta:
        model = Section
        fields = ["name", "position"]


class SectionInline(admin.TabularInline):
    model = Section
    form = SectionForm
    extra = 1
    fields = ["name", *(field_name(code) for code, _name in other_languages()), "position"]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    form = CategoryForm
    list_display = ["name", "slug", "position"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [SectionInline]
    fieldsets = [
        (None, {"fields": ["name", "slug", "description", "icon", "position"]}),
        labels_fieldset(),
        labels_fieldset("description", _("Descriptions in other languages")),
    ]
