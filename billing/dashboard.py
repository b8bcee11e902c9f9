"""The dashboard's budgets card, for a project's managers (and HR): the budgets of the projects they
manage, the most used first, each a progress bar. Employees get no card and cost no query more than
the check of their role."""

from django.db.models import Exists, OuterRef

from billing.budget_models import Budget
from billing.services.budgets import budget_usages
from timetracking.models import Project

DASHBOARD_BUDGETS = 6
BUDGETS_READ = 30  # the most used of the first 30 (by id): the card stays a constant number of queries


def widget(request):
    user = request.user
    is_hr = user.is_hr  # one query; the navigation has read is_manager already
    if not is_hr and not user.is_manager:
        return None
    budgets = Budget.objects.filter(project__active=True)
    if not is_hr:  # billing.models.managed_projects, without asking is_hr again
        members = Project.members.through.objects.filter(project_id=OuterRef("project_id"), user__manager=user)
        budgets = budgets.filter(Exists(members))
    budgets = list(budgets.select_related("project__client").order_by("pk")[:BUDGETS_READ])
    if not budgets:
        return None
    usages = budget_usages(budgets)  # the entries and their projects' terms (+ the rates for money budgets)
    rows = sorted(((budget, usages[budget.pk]) for budget in budgets), key=lambda row: -row[1].percent)
    return {
        "template": "billing/_dashboard.html",
        # HR and managers see amounts (billing.pricing.sees_amounts).
        "context": {"rows": rows[:DASHBOARD_BUDGETS], "more": len(rows) > DASHBOARD_BUDGETS},
    }
