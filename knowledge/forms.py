from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Category, Section, Translation


class ArticleForm(forms.Form):
    """One translation of an article, with the article's category and tags."""

    language = forms.ChoiceField(label=_("Language"))
    category = forms.ModelChoiceField(Category.objects.all(), label=_("Category"))
    section = forms.ModelChoiceField(
        Section.objects.select_related("category"), label=_("Section"), required=False
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    summary = forms.CharField(
        label=_("Summary"),
        max_length=300,
        required=False,
        help_text=_("One sentence for search results and search engines."),
    )
    tags = forms.CharField(
        label=_("Tags"), max_length=500, required=False, help_text=_("Separated by commas.")
    )
    body = forms.CharField(label=_("Text"), required=False, widget=forms.HiddenInput)
    state = forms.ChoiceField(
        label=_("State"), choices=Translation.State.choices, widget=forms.RadioSelect
    )
    updated_at = forms.DateTimeField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, languages, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = languages
        self.fields["section"].label_from_instance = lambda s: str(s)


class FileForm(forms.Form):
    file = forms.FileField(label=_("File"))
    description = forms.CharField(
        label=_("Description"),
        max_length=200,
        required=False,
        help_text=_("For images: what the image shows, read aloud by screen readers."),
    )
