from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LibraryConfig(AppConfig):
    name = "library"
    verbose_name = _("Documents, videos and quotes")

    def ready(self):
        from conversations.inserts import INSERT_SOURCES
        from conversations.sanitize import OWN_IMAGE_PATHS

        from .composer import THUMBNAIL_PATH, library_inserts

        INSERT_SOURCES["library"] = library_inserts
        OWN_IMAGE_PATHS.add(THUMBNAIL_PATH)
