from django.urls import path

from . import views

app_name = "crm"

urlpatterns = [
    path("search/<str:kind>/", views.record_search, name="record_search"),
]
