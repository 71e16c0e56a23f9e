from django.urls import path

from . import views

app_name = "workflows"

urlpatterns = [
    path("tickets/<int:pk>/macros/", views.macro_picker, name="macro_picker"),
    path("tickets/<int:pk>/macros/<int:macro_pk>/", views.macro_preview, name="macro_preview"),
    path("tickets/<int:pk>/macros/<int:macro_pk>/apply/", views.macro_apply, name="macro_apply"),
]
