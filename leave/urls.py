from django.urls import path

from leave import views

app_name = "leave"

urlpatterns = [
    path("", views.index, name="index"),
    path("preview/", views.preview, name="preview"),
    path("requests/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("requests/<int:pk>/attachment/", views.attachment, name="attachment"),
    path("approvals/", views.approvals, name="approvals"),
    path("approvals/<int:pk>/decide/", views.decide, name="decide"),
    path("calendar/", views.calendar_page, name="calendar"),
    path("feeds/reset/", views.feed_reset, name="feed-reset"),
    path("feeds/<str:token>/personal.ics", views.feed_personal, name="feed-personal"),
    path("feeds/<str:token>/team.ics", views.feed_team, name="feed-team"),
]
