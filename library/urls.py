from django.urls import path

from .views import public, workspace

app_name = "library"

urlpatterns = [
    path("library/documents/", workspace.document_list, name="document_list"),
    path("library/documents/new/", workspace.document_edit, name="document_create"),
    path("library/documents/<int:pk>/", workspace.document_edit, name="document_edit"),
    path("library/documents/<int:pk>/delete/", workspace.document_delete, name="document_delete"),
    path("library/videos/", workspace.video_list, name="video_list"),
    path("library/videos/new/", workspace.video_edit, name="video_create"),
    path("library/videos/<int:pk>/", workspace.video_edit, name="video_edit"),
    path("library/videos/<int:pk>/delete/", workspace.video_delete, name="video_delete"),
    path("library/quotes/", workspace.quote_list, name="quote_list"),
    path("library/quotes/new/", workspace.quote_edit, name="quote_create"),
    path("library/quotes/<int:pk>/", workspace.quote_edit, name="quote_edit"),
    path("library/quotes/<int:pk>/delete/", workspace.quote_delete, name="quote_delete"),
    path("l/<str:token>/", public.document_link, name="document_link"),
    path("d/<str:token>/", public.document_download, name="document_download"),
    path("v/thumbnail.png", public.video_thumbnail, name="video_thumbnail"),
    path("v/<str:token>/", public.video_player, name="video_player"),
    path("v/<str:token>/file/", public.video_file, name="video_file"),
    path("q/<str:token>/", public.quote_public, name="quote_public"),
]
