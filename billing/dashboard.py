"""The dashboard's budgets card, for a project's managers: the budgets of the projects they manage (those
with a member reporting to them), the most used first, each a progress bar. Others get no card and cost
no query (HR reads every budget on /projects/)."""

from django.db.models import Exists, OuterRef

from billing.budget_models import Budget
from billing.services.budgets import budget_usages
from timetracking.models import Project

DASHBOARD_BUDGETS = 6
BUDGETS_READ = 30  # the most used of the first 30 (by id): the card stays a constant number of queries


def widget(request):
    user = request.user
    if not user.is_manager:  # read (and cached) by the navigation already: no query for employees
        return None
    # The projects they manage (billing.models.managed_projects): those with a member reporting to them.
    members = Project.members.through.objects.filter(project_id=OuterRef("project_id"), user__manager=user)
    budgets = list(
        Budget.objects.filter(Exists(members), project__active=True)
        .select_related("project__client")
        .order_by("pk")[:BUDGETS_READ]
    )
    if not budgets:
        return None
    usages = budget_usages(budgets)  # the entries and their projects' terms (+ the rates for money budgets)
    rows = sorted(((budget, usages[budget.pk]) for budget in budgets), key=lambda row: -row[1].percent)
    return {
        "template": "billing/_dashboard.html",
        # Managers see amounts (billing.pricing.sees_amounts).
        "context": {"rows": rows[:DASHBOARD_BUDGETS], "more": len(rows) > DASHBOARD_BUDGETS},
    }
