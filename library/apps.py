from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LibraryConfig(AppConfig):
    name = "library"
    verbose_name = _("Documents and quotes")

    def ready(self):
        from conversations.inserts import INSERT_SOURCES

        from .composer import library_inserts

        INSERT_SOURCES["library"] = library_inserts
