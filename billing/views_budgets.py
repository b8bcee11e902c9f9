"""The projects page with each budget's usage (a progress bar). Thin: the reads are
billing.services.budgets' and the models' QuerySet methods. (The invoice pages are billing.views.)"""

from django.core.paginator import Paginator
from django.shortcuts import render

from billing.models import managed_projects
from billing.pricing import sees_amounts
from billing.services.budgets import budget_usages
from timetracking.models import Project

PROJECTS_PER_PAGE = 50


def visible_projects(user):
    """HR: every project; a manager: the projects they manage; others: the projects they may log to."""
    if user.is_hr or user.is_manager:
        return managed_projects(user)
    return Project.objects.loggable_by(user)


def project_list(request):
    # select_related: the client's name and the budget would be one query per project.
    projects = visible_projects(request.user).select_related("client", "budget").order_by("-active", "name", "pk")
    page = Paginator(projects, PROJECTS_PER_PAGE).get_page(request.GET.get("page"))
    projects_on_page = list(page.object_list)
    budgets = [project.budget for project in projects_on_page if getattr(project, "budget", None) is not None]
    usages = budget_usages(budgets)
    for project in projects_on_page:
        budget = getattr(project, "budget", None)
        project.budget_usage = usages.get(budget.pk) if budget is not None else None
    return render(
        request,
        "billing/project_list.html",
        {"page": page, "projects": projects_on_page, "amounts": bool(budgets) and sees_amounts(request.user)},
    )
