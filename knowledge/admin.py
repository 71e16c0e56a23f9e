"""Settings → Help center: the categories and their sections (articles are
written in the workspace, at /knowledge/)."""

from django import forms
from django.contrib import admin

from helpdesk.labels import LabelsFormMixin, field_name, labels_fieldset, other_languages

from .models import Category, Section


class CategoryForm(LabelsFormMixin, forms.ModelForm):
    class Meta:
        model = Category
        fields = ["name", "slug", "description", "icon", "position"]


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
    ]
