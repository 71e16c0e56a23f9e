from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KnowledgeConfig(AppConfig):
    name = "knowledge"
    verbose_name = _("Help center")

    def ready(self):
        # The composer (a lower app) reaches the articles through its registries.
        from conversations.inserts import INSERT_SOURCES
        from conversations.recommend import RECOMMENDATION_SOURCES

        from .composer import article_inserts, article_recommendations

        INSERT_SOURCES["knowledge"] = article_inserts
        RECOMMENDATION_SOURCES["knowledge"] = article_recommendations
