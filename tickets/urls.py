from django.urls import path

from . import records, views

app_name = "tickets"

urlpatterns = [
    path("", views.home, name="home"),
    path("views/<slug:slug>/", views.view_tickets, name="view_tickets"),
    path("views/<slug:slug>/tickets/<int:pk>/", views.ticket_detail, name="ticket_detail"),
    path("contacts/<int:pk>/", records.contact_record, name="contact_record"),
    path("companies/<int:pk>/", records.company_record, name="company_record"),
    path("tickets/new/", views.ticket_create, name="ticket_create"),
    path("tickets/<int:pk>/", views.ticket_open, name="ticket_open"),
    path("tickets/<int:pk>/fields/<str:field>/", views.ticket_edit_field, name="ticket_edit_field"),
    path("tickets/<int:pk>/stage/", views.ticket_set_stage, name="ticket_set_stage"),
    path(
        "tickets/<int:pk>/properties/<slug:key>/",
        views.ticket_edit_property,
        name="ticket_edit_property",
    ),
    path(
        "tickets/<int:pk>/associations/<str:kind>/add/",
        views.ticket_associate,
        name="ticket_associate",
    ),
    path(
        "tickets/<int:pk>/associations/<str:kind>/remove/",
        views.ticket_dissociate,
        name="ticket_dissociate",
    ),
]
