from django.urls import path

from sprockets import views

app_name = "sprockets"

urlpatterns = [
    path("", views.factory_list, name="factory-list"),
    path("<int:pk>/", views.factory_detail, name="factory-detail"),
    path("<int:pk>/goal/", views.factory_goal, name="factory-goal"),
]
