from django.urls import path

from . import views

app_name = "api"

urlpatterns = [
    path("api/v1/reference/", views.reference, name="reference"),
    path("account/tokens/", views.token_list, name="tokens"),
    path("account/tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
]
