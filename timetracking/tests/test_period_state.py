"""The period rules as read functions (services/periods.py): `period_submit_refusal` says what
`period_submit` would say, and `period_state` what the week page offers, for each status."""

from datetime import date, timedelta

import pytest

from timetracking import services
from timetracking.models import TimesheetPeriod

pytestmark = pytest.mark.django_db

WEEK = date(2026, 3, 2)  # the week before NOW (Tue 10 March 2026)
THIS_WEEK = date(2026, 3, 9)
NEXT_WEEK = date(2026, 3, 16)
Status = TimesheetPeriod.Status


def week_in(status, user, approver):
    """`user`'s WEEK in `status` (None: no row)."""
    if status is None:
        return None
    period = services.period_submit(user=user, day=WEEK)
    if status == Status.APPROVED or status == Status.REOPENED:
        period = services.period_approve(actor=approver, period=period)
    if status == Status.REOPENED:
        period = services.period_reopen(actor=approver, period=period, reason="Fix Tuesday.")
    if status == Status.DRAFT:
        period = services.period_reject(actor=approver, period=period, note="Tuesday is missing.")
    assert period.status == status
    return period


@pytest.mark.parametrize(
    ("status", "code"),
    [(None, None), (Status.DRAFT, None), (Status.REOPENED, None), (Status.SUBMITTED, "already_submitted"),
     (Status.APPROVED, "period_locked")],
)  # fmt: skip
def test_the_refusal_is_the_error_period_submit_raises(employee, manager, frozen, status, code):
    period = week_in(status, employee, manager)
    refusal = services.period_submit_refusal(user=employee, week_start=WEEK, period=period)
    assert (refusal.code if refusal else None) == code
    if refusal is None:
        assert services.period_submit(user=employee, day=WEEK).status == Status.SUBMITTED
    else:
        with pytest.raises(type(refusal)) as raised:
            services.period_submit(user=employee, day=WEEK)
        assert (raised.value.code, raised.value.message) == (refusal.code, refusal.message)


def test_a_week_not_started_yet_is_refused_and_this_week_is_not(employee, frozen):
    refusal = services.period_submit_refusal(user=employee, week_start=NEXT_WEEK, period=None)
    assert (refusal.code, refusal.field) == ("future_week", "week")
    assert services.period_submit_refusal(user=employee, week_start=THIS_WEEK, period=None) is None


@pytest.mark.parametrize(
    ("status", "locked", "can_submit"),
    [(None, False, True), (Status.DRAFT, False, True), (Status.REOPENED, False, True),
     (Status.SUBMITTED, False, False), (Status.APPROVED, True, False)],
)  # fmt: skip
def test_the_owner_sees_their_week(employee, manager, frozen, status, locked, can_submit):
    period = week_in(status, employee, manager)
    state = services.period_state(actor=employee, user=employee, week_start=WEEK)
    assert (state.period, state.locked, state.can_submit, state.can_decide) == (period, locked, can_submit, False)


def test_the_manager_and_hr_decide_but_never_submit_someone_elses_week(employee, manager, hr, colleague, frozen):
    period = week_in(Status.SUBMITTED, employee, manager)
    for viewer, can_decide in [(manager, True), (hr, True), (colleague, False)]:
        state = services.period_state(actor=viewer, user=employee, week_start=WEEK)
        assert (state.period, state.can_submit, state.can_decide) == (period, False, can_decide)
    draft = services.period_state(actor=manager, user=employee, week_start=WEEK - timedelta(days=7))
    assert (draft.period, draft.can_submit, draft.can_decide) == (None, False, False)


def test_a_future_week_cannot_be_submitted_from_the_page(employee, frozen):
    state = services.period_state(actor=employee, user=employee, week_start=NEXT_WEEK)
    assert (state.period, state.locked, state.can_submit) == (None, False, False)


def test_the_state_reads_the_period_with_its_decider_in_one_query(employee, manager, frozen, django_assert_num_queries):
    week_in(Status.APPROVED, employee, manager)
    with django_assert_num_queries(1):
        state = services.period_state(actor=employee, user=employee, week_start=WEEK)
        assert state.period.decided_by == manager
