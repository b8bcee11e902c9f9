"""A real company's first day, end to end (issue 22): `setup` on an empty database, 50 people with
their managers imported from a CSV, invitations sent and one accepted in a real browser, a
forgotten password reset through the e-mail's link, someone deactivated with everything that
ends checked — and the bad input of each step refused with a clear message. Runs on PostgreSQL in
CI (and on SQLite)."""

import re
from datetime import date, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import AuditEvent, OutgoingEmail, User
from leave.models import LeaveRequest, LeaveStatus, LeaveType
from timetracking.models import TimeEntry

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD_LABEL = re.compile(r"^New password:?$")
HR_PASSWORD = "first-day-hr-passphrase-26"
NEW_PASSWORD = "dana-chose-this-passphrase-7"
RESET_PASSWORD = "dana-after-the-reset-passphrase-8"
SETUP = [
    "--noinput",
    "--company-name=Acme GmbH",
    "--country=DE",
    "--subdivision=BY",
    "--time-zone=Europe/Berlin",
    "--working-weekdays=12345",
    "--weekly-hours=40",
    "--hr-username=hr",
    "--hr-email=hr@acme.example",
    f"--hr-password={HR_PASSWORD}",
]


def people_csv():
    """Fifty people: a boss, four leads, 45 people; reports listed before their managers."""
    rows = ["email,first_name,last_name,manager_email,country,subdivision,timezone,weekly_hours,start_date"]
    rows.append("dana@acme.example,Dana,Berg,lead0@acme.example,DE,BY,Europe/Berlin,40,2026-01-05")
    rows += [
        f"person{n}@acme.example,Person,{n},lead{n % 4}@acme.example,DE,BY,Europe/Berlin,40,2026-01-05"
        for n in range(44)
    ]
    rows += [f"lead{n}@acme.example,Lead,{n},boss@acme.example,DE,BY,Europe/Berlin,40,2025-06-01" for n in range(4)]
    rows.append("boss@acme.example,Bea,Boss,,DE,BY,Europe/Berlin,40,2024-01-01")
    return "\n".join(rows) + "\n"


def hr_api():
    client = APIClient()
    response = client.post(reverse("api:token_obtain_pair"), {"username": "hr", "password": HR_PASSWORD})
    assert response.status_code == 200, response.json()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    return client


def last_link(user, path_part):
    body = OutgoingEmail.objects.filter(user=user).latest("id").body
    match = re.search(r"https?://\S*" + re.escape(path_part) + r"\S*", body)
    assert match, body
    return match.group(0)


def test_a_company_s_first_day(page, live_server, settings):
    settings.ALLOWED_HOSTS = ["*"]
    # 1. Set-up on an empty database; bad input refused, nothing written.
    assert not User.objects.exists() and not LeaveType.objects.exists()
    with pytest.raises(CommandError, match="--country"):
        call_command("setup", *[arg if not arg.startswith("--country") else "--country=XX" for arg in SETUP])
    assert not User.objects.exists()
    call_command("setup", *SETUP)
    assert set(LeaveType.objects.values_list("code", flat=True)) >= {"vacation", "sick", "unpaid", "overtime"}
    hr = User.objects.get(username="hr")
    assert hr.is_hr and hr.check_password(HR_PASSWORD)
    call_command("setup", *SETUP)  # again: nothing changes
    assert User.objects.count() == 1

    # 2. Fifty people with managers; a looping file refused with its lines, nothing written.
    api = hr_api()
    looping = "email,manager_email\na@acme.example,b@acme.example\nb@acme.example,a@acme.example\n"
    refused = api.post(reverse("api:user-import-people"), {"content": looping, "dry_run": False}, format="json")
    assert refused.status_code == 400 and {error["line"] for error in refused.json()["errors"]} == {2, 3}
    preview = api.post(reverse("api:user-import-people"), {"content": people_csv()}, format="json")
    assert preview.status_code == 200 and preview.json()["created"] == 50 and User.objects.count() == 1
    imported = api.post(reverse("api:user-import-people"), {"content": people_csv(), "dry_run": False}, format="json")
    assert imported.status_code == 200, imported.json()
    assert imported.json()["created"] == 50 and User.objects.count() == 51
    dana = User.objects.get(email="dana@acme.example")
    lead = User.objects.get(email="lead0@acme.example")
    assert dana.manager == lead and lead.manager.email == "boss@acme.example"

    # 3. Invitations: sent to everyone; a tampered link refused; Dana accepts hers in the browser.
    for user in User.objects.exclude(pk=hr.pk):
        assert api.post(reverse("api:user-invite", args=[user.pk])).status_code == 200
    link = last_link(dana, "/accounts/invitation/")
    link = link.replace("http://testserver", live_server.url).replace("http://localhost:8000", live_server.url)
    link = re.sub(r"^https?://[^/]+", live_server.url, link)
    page.goto(link[:-3] + "xx/")
    assert page.get_by_role("heading", name="This invitation no longer works").is_visible()
    page.goto(link)
    page.get_by_label(NEW_PASSWORD_LABEL).fill(NEW_PASSWORD)
    page.get_by_label("New password confirmation").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set my password").click()
    page.wait_for_url(f"{live_server.url}/")
    dana.refresh_from_db()
    assert dana.check_password(NEW_PASSWORD)
    page.goto(link)  # single use
    assert page.get_by_role("heading", name="This invitation no longer works").is_visible()

    # 4. Forgot password: the same answer for an unknown address; Dana resets hers by the e-mail link.
    page.context.clear_cookies()
    page.goto(f"{live_server.url}{reverse('accounts:password_reset')}")
    page.get_by_label("E-mail address").fill("nobody@acme.example")
    page.get_by_role("button", name="Send the link").click()
    unknown_answer = page.locator("main").inner_text()
    page.goto(f"{live_server.url}{reverse('accounts:password_reset')}")
    page.get_by_label("E-mail address").fill("DANA@acme.example")
    page.get_by_role("button", name="Send the link").click()
    assert page.locator("main").inner_text() == unknown_answer
    reset = re.sub(r"^https?://[^/]+", live_server.url, last_link(dana, "/accounts/password/reset/"))
    page.goto(reset)
    page.get_by_label(NEW_PASSWORD_LABEL).fill(RESET_PASSWORD)
    page.get_by_label("New password confirmation").fill(RESET_PASSWORD)
    page.get_by_role("button", name="Set the password").click()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(dana.username)
    page.get_by_label("Password").fill(RESET_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")

    # 5. Dana has a timer running and a pending request; then she leaves.
    dana_api = APIClient()
    tokens = dana_api.post(reverse("api:token_obtain_pair"), {"username": dana.username, "password": RESET_PASSWORD})
    assert tokens.status_code == 200
    dana_api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens.json()['access']}")
    assert dana_api.post(reverse("api:timer-start"), {"description": "Last day"}, format="json").status_code == 201
    monday = timezone.localdate() + timedelta(days=7 - timezone.localdate().weekday() + 7)
    unpaid = LeaveType.objects.get(code="unpaid")
    submitted = dana_api.post(
        reverse("api:leave-request-list"),
        {"leave_type": unpaid.pk, "start_date": monday.isoformat(), "end_date": monday.isoformat()},
        format="json",
    )
    assert submitted.status_code == 201, submitted.json()
    assert api.post(reverse("api:user-deactivate", args=[hr.pk])).status_code == 409  # not oneself
    left = api.post(reverse("api:user-deactivate", args=[dana.pk]))
    assert left.status_code == 200 and left.json()["is_active"] is False
    assert api.post(reverse("api:user-deactivate", args=[dana.pk])).status_code == 409
    # Everything ended: the session in the browser, tokens, the timer, the pending request.
    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url
    refreshed = APIClient().post(reverse("api:token_refresh"), {"refresh": tokens.json()["refresh"]})
    assert refreshed.status_code == 401
    assert not TimeEntry.objects.filter(user=dana, ended_at__isnull=True).exists()
    assert TimeEntry.objects.filter(user=dana, description="Last day").exists()
    assert LeaveRequest.objects.get(user=dana).status == LeaveStatus.CANCELLED
    assert OutgoingEmail.objects.filter(user=lead, subject__startswith="Leave request withdrawn").exists()
    assert AuditEvent.objects.filter(action="accounts.user_deactivated", object_id=str(dana.pk)).exists()
    # HR's final statement of her last day.
    statement = api.get(reverse("api:report-final-statement"), {"user": dana.pk, "last_day": date.today().isoformat()})
    assert statement.status_code == 200
    text = b"".join(statement.streaming_content).decode("utf-8-sig")
    assert "leave: Vacation" in text and "overtime" in text
