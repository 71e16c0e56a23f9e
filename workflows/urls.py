from django.urls import path

from . import views

app_name = "workflows"

urlpatterns = [
    path("tickets/<int:pk>/macros/", views.macro_picker, name="macro_picker"),
    path("tickets/<int:pk>/macros/<int:macro_pk>/", views.macro_preview, name="macro_preview"),
    path("tickets/<int:pk>/macros/<int:macro_pk>/apply/", views.macro_apply, name="macro_apply"),
]

urlpatterns += [
    path("macros/", views.macro_list, name="macro_list"),
    path("macros/new/", views.macro_edit, name="macro_create"),
    path("macros/<int:pk>/", views.macro_edit, name="macro_edit"),
    path("macros/<int:pk>/delete/", views.macro_delete, name="macro_delete"),
    path("macros/action-row/", views.action_row, name="action_row"),
]

urlpatterns += [
    path("macros/options/", views.macro_options, name="macro_options"),
    path("views/<slug:slug>/list/macro/", views.macro_bulk, name="macro_bulk"),
]
