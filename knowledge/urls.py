from django.urls import path

from .views import public, workspace

app_name = "knowledge"

urlpatterns = [
    path("help/", public.help_root, name="help_root"),
    path("help/sitemap.xml", public.sitemap, name="sitemap"),
    path("help/theme.css", public.theme, name="theme"),
    path("help/files/<str:token>/<str:filename>", public.file, name="file"),
    path("help/<str:lang>/", public.home, name="home"),
    path("help/<str:lang>/search/", public.search_page, name="search"),
    path("help/<str:lang>/categories/<slug:slug>/", public.category, name="category"),
    path("help/<str:lang>/articles/<int:pk>/vote/", public.vote, name="vote"),
    path("help/<str:lang>/articles/<int:pk>/<str:slug>/", public.article, name="article"),
]

urlpatterns += [
    path("knowledge/", workspace.article_list, name="article_list"),
    path("knowledge/new/", workspace.article_edit, name="article_create"),
    path("knowledge/<int:pk>/<str:lang>/", workspace.article_edit, name="article_edit"),
    path("knowledge/<int:pk>/<str:lang>/state/", workspace.article_state, name="article_state"),
    path("knowledge/<int:pk>/<str:lang>/files/", workspace.file_upload, name="file_upload"),
    path("knowledge/<int:pk>/<str:lang>/history/", workspace.history, name="history"),
    path("knowledge/revisions/<int:pk>/restore/", workspace.restore, name="restore"),
]
