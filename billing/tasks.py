"""Billing's Celery tasks: they take ids and call billing.services."""

from datetime import date

from celery import shared_task

from billing.services import budgets


@shared_task(acks_late=True)
def budget_alerts_check_task(project_id: int, day: str) -> int:
    """After an entry write on `project_id` commits: send the budget alerts it made due (each once,
    whoever else runs this at the same moment). `day` (YYYY-MM-DD): the entry's local day, whose
    month a monthly budget is checked in."""
    return budgets.budget_alerts_check(project_id=project_id, day=date.fromisoformat(day))
