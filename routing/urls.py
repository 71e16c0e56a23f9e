from django.urls import path

from . import views

app_name = "routing"

urlpatterns = [
    path("availability/", views.set_availability, name="set_availability"),
    path("availability/team/", views.team_availability, name="team_availability"),
]
