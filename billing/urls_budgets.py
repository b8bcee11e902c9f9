"""`/projects/`: the projects with their budgets (billing.views_budgets)."""

from django.urls import path

from billing import views_budgets

app_name = "budgets"

urlpatterns = [
    path("", views_budgets.project_list, name="project-list"),
]
