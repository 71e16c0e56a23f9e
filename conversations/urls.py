from django.urls import path

from .views import conversation as views
from .views import manage

app_name = "conversations"

urlpatterns = [
    path("tickets/<int:pk>/reply/", views.reply_send, name="reply_send"),
    path("tickets/<int:pk>/split/", manage.ticket_split, name="ticket_split"),
    path("tickets/<int:pk>/merge/", manage.ticket_merge, name="ticket_merge"),
    path("tickets/<int:pk>/inbox/", manage.conversation_move, name="conversation_move"),
    path("tickets/<int:pk>/comment/", views.comment_add, name="comment_add"),
    path("tickets/<int:pk>/draft/", views.draft_save, name="draft_save"),
    path("messages/<int:pk>/visitor/", views.visitor_search, name="visitor_search"),
    path("messages/<int:pk>/visitor/link/", views.visitor_associate, name="visitor_associate"),
    path("tickets/<int:pk>/messages/", views.earlier_messages, name="earlier_messages"),
    path("tickets/<int:pk>/recommendations/", views.recommendations, name="recommendations"),
    path("tickets/<int:pk>/inserts/", views.insert_search, name="insert_search"),
    path("tickets/<int:pk>/presence/", views.presence, name="presence"),
    path("tickets/<int:pk>/mentions/", views.mention_search, name="mention_search"),
    path("tickets/<int:pk>/attachments/", views.attachment_upload, name="attachment_upload"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment_download"),
    path(
        "attachments/<int:pk>/inline/<str:token>/",
        views.attachment_inline,
        name="attachment_inline",
    ),
    path("messages/<int:pk>/resend/", views.message_resend, name="message_resend"),
    path("messages/<int:pk>/move/", views.message_move, name="message_move"),
    path("messages/<int:pk>/frame/", views.message_frame, name="message_frame"),
    path("messages/<int:pk>/original/", views.message_original, name="message_original"),
    path("records/<str:kind>/<int:pk>/email/", views.record_email, name="record_email"),
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/count/", views.notification_count, name="notification_count"),
    path("notifications/<int:pk>/", views.notification_open, name="notification_open"),
]
