from django.urls import reverse

from leave import services
from leave.models import LeaveRequest
from leave.views_setup import first_run_for


def takeover(request):
    """The first-run page instead of the dashboard, while nothing is set up (superusers only)."""
    return reverse("setup") if first_run_for(request.user) else None


def widget(request):
    """The dashboard panel: this year's balances (deducting types) and the approval count."""
    user = request.user
    year = services.today_for(user).year
    balances = [
        balance
        for balance in services.balances_for(user=user, year=year)
        if balance.leave_type.deducts_allowance
        and (balance.entitled or balance.carried or balance.used or balance.pending)
    ]
    to_decide = 0
    if user.is_manager or user.is_hr:
        to_decide = LeaveRequest.objects.pending().decidable_by(user).count()
    return {
        "template": "leave/_dashboard.html",
        "context": {"year": year, "balances": balances, "to_decide": to_decide},
    }
