from django.urls import path

from . import views

app_name = "sla"

urlpatterns = [path("reports/sla/", views.sla_report, name="report")]
