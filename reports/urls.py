from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("reports/", views.volume, name="volume"),
    path("reports/speed/", views.speed, name="speed"),
    path("reports/sla/", views.sla, name="sla"),
    path("reports/workload/", views.workload, name="workload"),
    path("reports/satisfaction/", views.satisfaction, name="satisfaction"),
]
