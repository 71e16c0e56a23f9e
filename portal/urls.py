from django.urls import path

from . import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("sign-in/", views.sign_in, name="sign_in"),
    path("sign-in/<str:token>/", views.link, name="link"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("new/", views.new_request, name="new"),
    path("requests/<int:pk>/", views.ticket, name="ticket"),
    path("requests/<int:pk>/reply/", views.reply, name="reply"),
    path("requests/<int:pk>/close/", views.close, name="close"),
    path("files/<int:pk>/", views.attachment, name="attachment"),
]
