"""Substitutes (deputies) on leave requests: who may be named, the warning when one is away too,
the e-mails on approval and cancellation, the reminder on the last working day before, and where
the team sees who covers."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.services import emails_send_due
from accounts.tests.factories import UserFactory
from leave import services
from leave.models import LeaveRequest, LeaveStatus, LeaveSubstitute
from leave.tests.conftest import settle_emails
from leave.tests.factories import LeaveRequestFactory, LeaveTypeFactory

pytestmark = pytest.mark.django_db

UTC = ZoneInfo("UTC")
BERLIN = ZoneInfo("Europe/Berlin")
URL = "/api/v1/leave-requests/"
JULY = {"start_date": "2026-07-06", "end_date": "2026-07-10"}  # Monday to Friday


@pytest.fixture(autouse=True)
def _june(frozen_today):
    """Monday 1 June 2026: the July leave lies ahead."""


@pytest.fixture(autouse=True)
def _plain_names(manager, employee, colleague, outsider):
    """Names the pages print as they are (a generated O'Brien would be escaped in the HTML)."""
    for user, first, last in [
        (manager, "Mia", "Manager"),
        (employee, "Emma", "Employee"),
        (colleague, "Carl", "Colleague"),
        (outsider, "Otto", "Outsider"),
    ]:
        user.first_name, user.last_name = first, last
        user.save(update_fields=["first_name", "last_name"])


def _submit(user, leave_type, substitutes, start=date(2026, 7, 6), end=date(2026, 7, 10)):
    return services.leave_request_submit(
        user=user, leave_type=leave_type, start_date=start, end_date=end, substitutes=substitutes
    )


def _sent():
    emails_send_due()
    return {(message.to[0], message.subject): message.body for message in mail.outbox}


# --- Who may be named -----------------------------------------------------------------------------


def test_api_creates_a_request_with_its_substitutes_in_the_order_named(
    client_for, funded_employee, vacation, colleague, manager
):
    response = client_for(funded_employee).post(
        URL, {"leave_type": vacation.pk, **JULY, "substitutes": [colleague.pk, manager.pk]}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["substitutes"] == [colleague.pk, manager.pk]
    assert response.json()["substitute_names"] == [str(colleague), str(manager)]
    links = LeaveSubstitute.objects.filter(request_id=response.json()["id"]).order_by("position")
    assert [link.user_id for link in links] == [colleague.pk, manager.pk]
    detail = client_for(manager).get(f"{URL}{response.json()['id']}/").json()
    assert detail["substitutes"] == [colleague.pk, manager.pk]


def test_a_request_without_substitutes_still_works(client_for, funded_employee, vacation):
    response = client_for(funded_employee).post(URL, {"leave_type": vacation.pk, **JULY}, format="json")
    assert response.status_code == 201
    assert response.json()["substitutes"] == [] and response.json()["substitute_names"] == []


def _team_of_four(manager):
    return [UserFactory(username=f"mate{n}", manager=manager) for n in range(4)]


@pytest.mark.parametrize(
    "case",
    ["self", "outsider", "unknown", "inactive", "too_many", "duplicate", "not_an_id", "not_a_list", "zero"],
)
def test_bad_substitutes_are_refused_at_the_field_and_nothing_is_written(
    case, client_for, funded_employee, vacation, colleague, outsider, manager
):
    mates = _team_of_four(manager)
    inactive = UserFactory(username="gone", manager=manager, is_active=False)
    value = {
        "self": [funded_employee.pk],
        "outsider": [outsider.pk],
        "unknown": [999_999],
        "inactive": [inactive.pk],
        "too_many": [mate.pk for mate in mates],
        "duplicate": [colleague.pk, colleague.pk],
        "not_an_id": ["abc"],
        "not_a_list": "colleague",
        "zero": [0],
    }[case]
    response = client_for(funded_employee).post(
        URL, {"leave_type": vacation.pk, **JULY, "substitutes": value}, format="json"
    )
    assert response.status_code == 400, response.content
    assert "substitutes" in response.json(), response.json()
    assert not LeaveRequest.objects.exists() and not LeaveSubstitute.objects.exists()


def test_an_unknown_id_and_another_teams_colleague_get_the_same_answer(client_for, funded_employee, vacation, outsider):
    """No probing for which user ids exist."""
    answers = [
        client_for(funded_employee)
        .post(URL, {"leave_type": vacation.pk, **JULY, "substitutes": [pk]}, format="json")
        .json()["substitutes"]
        for pk in (outsider.pk, 999_999)
    ]
    assert answers[0] == answers[1]


def test_the_service_refuses_each_rule_with_its_code(funded_employee, vacation, colleague, outsider, manager):
    mates = _team_of_four(manager)
    inactive = UserFactory(username="gone", manager=manager, is_active=False)
    for substitutes, code in [
        ([funded_employee], "substitute_self"),
        ([outsider], "substitute_not_in_team"),
        ([inactive], "substitute_inactive"),
        (mates, "too_many_substitutes"),
        ([colleague, colleague], "substitute_duplicate"),
    ]:
        with pytest.raises(services.LeaveError) as refused:
            _submit(funded_employee, vacation, substitutes)
        assert (refused.value.code, refused.value.field) == (code, "substitutes")
    assert not LeaveRequest.objects.exists()
    # Three is the most: allowed.
    assert _submit(funded_employee, vacation, mates[:3]).substitute_links.count() == 3


def test_a_manager_and_an_own_report_may_be_named(funded_employee, vacation, manager):
    report = UserFactory(username="report", manager=funded_employee)
    leave_request = _submit(funded_employee, vacation, [manager, report])
    assert set(leave_request.substitutes.values_list("pk", flat=True)) == {manager.pk, report.pk}


# --- Away at the same time ------------------------------------------------------------------------


def test_preview_warns_when_a_substitute_is_away_too_without_refusing(client_for, funded_employee, vacation, colleague):
    LeaveRequestFactory(user=colleague, leave_type=vacation, start_date=date(2026, 7, 8), end_date=date(2026, 7, 15))
    body = {"leave_type": vacation.pk, **JULY, "substitutes": [colleague.pk]}
    preview = client_for(funded_employee).post(f"{URL}preview/", body, format="json")
    assert preview.status_code == 200
    warnings = preview.json()["warnings"]
    assert [(w["code"], w["field"], w["blocking"]) for w in warnings] == [("substitute_away", "substitutes", False)]
    assert "08 Jul 2026" in warnings[0]["message"] and "not decided yet" in warnings[0]["message"]
    # A warning, not a refusal: the same body is submitted.
    assert client_for(funded_employee).post(URL, body, format="json").status_code == 201


def test_preview_has_no_warning_when_the_substitutes_leave_does_not_overlap(
    client_for, funded_employee, vacation, colleague
):
    LeaveRequestFactory(user=colleague, leave_type=vacation, start_date=date(2026, 7, 13), end_date=date(2026, 7, 15))
    LeaveRequestFactory(
        user=colleague,
        leave_type=vacation,
        start_date=date(2026, 7, 7),
        end_date=date(2026, 7, 7),
        status=LeaveStatus.REJECTED,
        decided_at="2026-06-01T08:00Z",
    )
    body = {"leave_type": vacation.pk, **JULY, "substitutes": [colleague.pk]}
    warnings = client_for(funded_employee).post(f"{URL}preview/", body, format="json").json()["warnings"]
    assert warnings == []


def test_preview_problems_are_blocking(client_for, employee, vacation):
    body = {"leave_type": vacation.pk, **JULY}  # no allowance
    warnings = client_for(employee).post(f"{URL}preview/", body, format="json").json()["warnings"]
    assert [(w["code"], w["blocking"]) for w in warnings] == [("insufficient_balance", True)]


def test_approval_page_names_the_substitutes_and_warns_of_one_away(
    client, funded_employee, vacation, colleague, manager, django_assert_max_num_queries
):
    leave_request = _submit(funded_employee, vacation, [colleague])
    LeaveRequestFactory(
        user=colleague,
        leave_type=vacation,
        start_date=date(2026, 7, 9),
        end_date=date(2026, 7, 9),
        amount=1,
        status=LeaveStatus.APPROVED,
        decided_at="2026-06-01T08:00Z",
    )
    client.force_login(manager)
    html = client.get(reverse("leave:approvals")).content.decode()
    article = html.split(f'id="approval-{leave_request.pk}"')[1].split("</article>")[0]
    assert "<dt>Substitutes</dt>" in article and str(colleague) in article
    assert "is away too, from 09 Jul 2026 to 09 Jul 2026." in article


def test_approval_page_queries_do_not_grow_with_substitutes(client, manager, vacation):
    mates = _team_of_four(manager)
    requesters = [UserFactory(username=f"req{n}", manager=manager) for n in range(6)]
    for n, requester in enumerate(requesters):
        day = date(2026, 7, 1 + n)
        LeaveRequestFactory(user=requester, leave_type=vacation, start_date=day, end_date=day, amount=1)
    client.force_login(manager)
    with CaptureQueriesContext(connection) as without:
        client.get(reverse("leave:approvals"))
    for leave_request in LeaveRequest.objects.all():
        LeaveSubstitute.objects.create(request=leave_request, user=mates[0], position=0)
        LeaveSubstitute.objects.create(request=leave_request, user=mates[1], position=1)
    LeaveRequestFactory(
        user=mates[0], leave_type=vacation, start_date=date(2026, 7, 2), end_date=date(2026, 7, 3), amount=2
    )
    with CaptureQueriesContext(connection) as with_substitutes:
        html = client.get(reverse("leave:approvals")).content.decode()
    # One prefetch of the links with their users, one query for the substitutes' own leave; the
    # substitute's own request is one more row of the queue (its queries do not grow per row).
    assert len(with_substitutes.captured_queries) <= len(without.captured_queries) + 2
    assert html.count("is away too") == 2  # the requests of 2 and 3 July


# --- E-mails --------------------------------------------------------------------------------------


def test_substitutes_are_told_when_the_leave_is_approved_once(funded_employee, vacation, colleague, manager):
    leave_request = _submit(funded_employee, vacation, [colleague])
    settle_emails()  # the approver's "to approve"
    services.leave_request_approve(leave_request_id=leave_request.pk, actor=manager)
    sent = _sent()
    subject = f"You cover for {funded_employee} from Mon 06 Jul 2026 to Fri 10 Jul 2026"
    assert (colleague.email, subject) in sent
    assert "/leave/calendar/?month=2026-07" in sent[(colleague.email, subject)]
    assert LeaveSubstitute.objects.get().notified_at is not None


def test_nothing_is_sent_to_substitutes_while_pending_or_when_rejected(funded_employee, vacation, colleague, manager):
    leave_request = _submit(funded_employee, vacation, [colleague])
    assert not [key for key in _sent() if key[0] == colleague.email]
    mail.outbox.clear()
    services.leave_request_reject(leave_request_id=leave_request.pk, actor=manager, note="Busy week")
    assert not [key for key in _sent() if key[0] == colleague.email]


def test_leave_approved_automatically_tells_the_substitutes(funded_employee, colleague):
    no_approval = LeaveTypeFactory(name="Training", code="TRN", requires_approval=False, deducts_allowance=False)
    _submit(funded_employee, no_approval, [colleague])
    assert any(to == colleague.email and subject.startswith("You cover for") for to, subject in _sent())


def test_cancelling_approved_leave_tells_the_substitutes_already_told(funded_employee, vacation, colleague, manager):
    leave_request = _submit(funded_employee, vacation, [colleague])
    services.leave_request_approve(leave_request_id=leave_request.pk, actor=manager)
    settle_emails()
    services.leave_request_cancel(leave_request_id=leave_request.pk, actor=funded_employee)
    assert (
        colleague.email,
        f"No need to cover for {funded_employee} from Mon 06 Jul 2026 to Fri 10 Jul 2026",
    ) in _sent()


def test_cancelling_a_pending_request_tells_no_substitute(funded_employee, vacation, colleague):
    leave_request = _submit(funded_employee, vacation, [colleague])
    settle_emails()
    services.leave_request_cancel(leave_request_id=leave_request.pk, actor=funded_employee)
    assert not [key for key in _sent() if key[0] == colleague.email]


# --- The reminder on the last working day before --------------------------------------------------


def _approved(funded_employee, vacation, manager, substitutes, start=date(2026, 7, 6), end=date(2026, 7, 10)):
    leave_request = _submit(funded_employee, vacation, substitutes, start, end)
    services.leave_request_approve(leave_request_id=leave_request.pk, actor=manager)
    settle_emails()
    return leave_request


def _remind(at, zone=BERLIN):
    return services.leave_send_substitute_reminders(now=at.replace(tzinfo=zone))


def test_reminder_on_the_friday_before_monday_leave_from_nine_local_time_once(
    funded_employee, vacation, colleague, manager
):
    _approved(funded_employee, vacation, manager, [colleague])
    assert _remind(datetime(2026, 7, 2, 10, 0)) == 0  # Thursday: another working day follows
    assert _remind(datetime(2026, 7, 3, 8, 59)) == 0  # Friday, before nine in Berlin
    assert _remind(datetime(2026, 7, 3, 9, 0)) == 1
    sent = _sent()
    assert (colleague.email, f"Reminder: you cover for {funded_employee} from Mon 06 Jul") in sent
    assert _remind(datetime(2026, 7, 3, 10, 0)) == 0  # hourly runs remind once
    assert _remind(datetime(2026, 7, 4, 10, 0)) == 0  # and not again on Saturday
    assert LeaveSubstitute.objects.get().reminded_at is not None


def test_reminder_skips_a_public_holiday_of_the_substitute(funded_employee, vacation, colleague, manager):
    # Corpus Christi, Thursday 4 June 2026, is a holiday in Bavaria: for leave from Friday 5 June
    # the last working day before is Wednesday 3 June.
    _approved(funded_employee, vacation, manager, [colleague], date(2026, 6, 5), date(2026, 6, 5))
    assert _remind(datetime(2026, 6, 2, 12, 0)) == 0
    assert _remind(datetime(2026, 6, 3, 12, 0)) == 1


def test_reminder_follows_the_substitutes_own_holidays_not_the_requesters(funded_employee, vacation, manager):
    berliner = UserFactory(username="berliner", manager=manager, subdivision="BE")  # no Corpus Christi in Berlin
    _approved(funded_employee, vacation, manager, [berliner], date(2026, 6, 5), date(2026, 6, 5))
    assert _remind(datetime(2026, 6, 3, 12, 0)) == 0  # Thursday is a working day in Berlin
    assert _remind(datetime(2026, 6, 4, 12, 0)) == 1


def test_reminder_uses_the_substitutes_local_day_and_hour(funded_employee, vacation, manager):
    tokyo = UserFactory(username="tokyo", manager=manager, timezone="Asia/Tokyo", country="JP", subdivision="")
    berlin = UserFactory(username="berlin", manager=manager)
    _approved(funded_employee, vacation, manager, [tokyo, berlin])
    # Friday 3 July 01:00 UTC: 10:00 on Friday in Tokyo, 03:00 in Berlin.
    assert _remind(datetime(2026, 7, 3, 1, 0), UTC) == 1
    assert list(LeaveSubstitute.objects.filter(reminded_at__isnull=False).values_list("user_id", flat=True)) == [
        tokyo.pk
    ]
    assert _remind(datetime(2026, 7, 3, 7, 0), UTC) == 1  # 09:00 in Berlin


def test_no_reminder_for_cancelled_leave_an_inactive_substitute_or_leave_approved_too_late(
    funded_employee, vacation, manager, colleague
):
    cancelled = _approved(funded_employee, vacation, manager, [colleague])
    services.leave_request_cancel(leave_request_id=cancelled.pk, actor=funded_employee)
    assert _remind(datetime(2026, 7, 3, 12, 0)) == 0
    leaver = UserFactory(username="leaver", manager=manager)
    _approved(funded_employee, vacation, manager, [leaver], date(2026, 7, 13), date(2026, 7, 13))
    type(leaver).objects.filter(pk=leaver.pk).update(is_active=False)
    assert _remind(datetime(2026, 7, 10, 12, 0)) == 0
    late = _approved(funded_employee, vacation, manager, [colleague], date(2026, 7, 20), date(2026, 7, 20))
    # The leave has started: the approval's e-mail was the news, no reminder afterwards.
    assert _remind(datetime(2026, 7, 20, 12, 0)) == 0
    assert not LeaveSubstitute.objects.filter(request=late, reminded_at__isnull=False).exists()


def test_the_periodic_task_runs_the_reminders(funded_employee, vacation, manager, colleague):
    from leave.tasks import send_substitute_reminders

    _approved(funded_employee, vacation, manager, [colleague])
    with time_machine.travel("2026-07-03 10:00:00+02:00", tick=False):
        assert send_substitute_reminders() == 1


# --- Where the team sees who covers ---------------------------------------------------------------


def test_team_calendar_says_who_covers_to_every_colleague(
    client, client_for, funded_employee, vacation, colleague, manager
):
    _approved(funded_employee, vacation, manager, [manager])
    client.force_login(colleague)
    html = client.get(reverse("leave:calendar"), {"month": "2026-07"}).content.decode()
    section = html.split('id="covers-heading"')[1].split("</section>")[0]
    assert str(funded_employee) in section and str(manager) in section and "Mon 06 Jul – Fri 10 Jul" in section
    assert f"covered by {manager}" in html  # the cells' titles
    absences = client_for(colleague).get("/api/v1/leave-calendar/", {"month": "2026-07"}).json()["absences"]
    assert [(a["substitutes"], a["substitute_names"]) for a in absences] == [([manager.pk], [str(manager)])]


def test_team_calendar_without_substitutes_has_no_covers_section(client, pending, colleague):
    client.force_login(colleague)
    html = client.get(reverse("leave:calendar"), {"month": "2026-07"}).content.decode()
    assert 'id="covers-heading"' not in html


@pytest.fixture
def pending(funded_employee, vacation):
    return _submit(funded_employee, vacation, [])


# --- The leave page -------------------------------------------------------------------------------


def test_leave_page_offers_the_team_as_substitutes_in_a_labelled_group(
    client, funded_employee, colleague, outsider, manager
):
    client.force_login(funded_employee)
    html = client.get(reverse("leave:index")).content.decode()
    group = html.split('<fieldset class="checkbox-group"')[1].split("</fieldset>")[0]
    assert "<legend>Substitutes</legend>" in group
    assert str(colleague) in group and str(manager) in group
    assert str(outsider) not in group and str(funded_employee) not in group


def test_leave_page_without_colleagues_has_no_substitutes_field(client, hr):
    client.force_login(hr)
    html = client.get(reverse("leave:index")).content.decode()
    assert 'name="substitutes"' not in html


def test_leave_page_submits_with_a_substitute_and_shows_errors_at_the_field(
    client, funded_employee, vacation, colleague, outsider
):
    client.force_login(funded_employee)
    form = {"leave_type": vacation.pk, **JULY, "start_part": "full", "end_part": "full"}
    refused = client.post(reverse("leave:index"), {**form, "substitutes": [outsider.pk]})
    assert refused.status_code == 400
    html = refused.content.decode()
    assert 'class="field has-error"' in html.split('<fieldset class="checkbox-group"')[0].rsplit("<div", 1)[1]
    assert not LeaveRequest.objects.exists()
    accepted = client.post(reverse("leave:index"), {**form, "substitutes": [colleague.pk]})
    assert accepted.status_code == 302
    assert list(LeaveRequest.objects.get().substitutes.all()) == [colleague]


def test_leave_page_preview_shows_the_away_warning(client, funded_employee, vacation, colleague):
    LeaveRequestFactory(user=colleague, leave_type=vacation, start_date=date(2026, 7, 10), end_date=date(2026, 7, 10))
    client.force_login(funded_employee)
    form = {"leave_type": vacation.pk, **JULY, "start_part": "full", "end_part": "full", "substitutes": [colleague.pk]}
    html = client.post(reverse("leave:preview"), form).content.decode()
    assert 'class="leave-warning"' in html and f"{colleague} is away too" in html


def test_my_requests_and_the_admin_show_who_covers(client, admin_client, funded_employee, vacation, colleague, hr):
    leave_request = _submit(funded_employee, vacation, [colleague])
    LeaveRequestFactory(user=colleague, leave_type=vacation, start_date=date(2026, 7, 7), end_date=date(2026, 7, 7))
    client.force_login(funded_employee)
    row = client.get(reverse("leave:index")).content.decode().split(f'id="request-{leave_request.pk}"')[1]
    assert f"Covered by {colleague}" in row.split("</tr>")[0]
    client.force_login(hr)
    page = client.get(reverse("admin:leave_leaverequest_change", args=[leave_request.pk])).content.decode()
    assert f"{colleague}; {colleague} is away too, from 07 Jul 2026 to 07 Jul 2026" in page
