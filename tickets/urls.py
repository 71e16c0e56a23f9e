from django.urls import path

from .views import lists, live, manage, records, search
from .views import workspace as views

app_name = "tickets"

urlpatterns = [
    path("", views.home, name="home"),
    path("views/new/", lists.view_create, name="view_create"),
    path("views/counts/", views.view_counts, name="view_counts"),
    path("views/<slug:slug>/", views.view_tickets, name="view_tickets"),
    path("views/<slug:slug>/changes/", live.view_changes, name="view_changes"),
    path("views/<slug:slug>/rows/", live.view_rows, name="view_rows"),
    path("views/<slug:slug>/list/", lists.view_list, name="view_list"),
    path("views/<slug:slug>/list/back/", lists.back_to_list, name="back_to_list"),
    path("views/<slug:slug>/list/condition/", lists.condition_editor, name="condition_editor"),
    path("views/<slug:slug>/list/bulk/", lists.bulk_action, name="bulk_action"),
    path("views/<slug:slug>/edit/", lists.view_edit, name="view_edit"),
    path("views/<slug:slug>/save/", lists.view_save_filters, name="view_save_filters"),
    path("views/<slug:slug>/delete/", lists.view_delete, name="view_delete"),
    path("preferences/<str:what>/", lists.preference_order, name="preference_order"),
    path("views/<slug:slug>/tickets/<int:pk>/", views.ticket_detail, name="ticket_detail"),
    path("contacts/<int:pk>/", records.contact_record, name="contact_record"),
    path("companies/<int:pk>/", records.company_record, name="company_record"),
    path("crm/search/<str:kind>/", records.record_search, name="record_search"),
    path("tickets/new/", views.ticket_create, name="ticket_create"),
    path("tickets/<int:pk>/", views.ticket_open, name="ticket_open"),
    path("tickets/<int:pk>/follow/", manage.ticket_follow, name="ticket_follow"),
    path("tickets/<int:pk>/activity/", manage.ticket_activity, name="ticket_activity"),
    path("tickets/<int:pk>/related/", manage.ticket_related, name="ticket_related"),
    path("tickets/<int:pk>/move/", manage.ticket_move, name="ticket_move"),
    path("tickets/<int:pk>/delete/", manage.ticket_delete, name="ticket_delete"),
    path("tickets/<int:pk>/restore/", manage.ticket_restore, name="ticket_restore"),
    path("deleted/", manage.recently_deleted, name="recently_deleted"),
    path("search/", search.search_results, name="search"),
    path("search/suggest/", search.search_suggest, name="search_suggest"),
    path("tickets/<int:pk>/fields/<str:field>/", views.ticket_edit_field, name="ticket_edit_field"),
    path("tickets/<int:pk>/stage/", views.ticket_set_stage, name="ticket_set_stage"),
    path("tickets/<int:pk>/tags/", views.ticket_tags, name="ticket_tags"),
    path("tags/suggestions/", views.tag_suggestions, name="tag_suggestions"),
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
