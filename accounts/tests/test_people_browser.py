"""HR's people pages in a real headless Chromium: from the menu, add someone and invite them,
import a CSV through its preview, deactivate someone after the confirmation. Short: the rules and
the bad input are test_people_pages'."""

import pytest
from playwright.sync_api import expect

from accounts.models import OutgoingEmail, User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CSV = (
    "email,first_name,last_name,manager_email,start_date\n"
    "lea@example.com,Lea,Berg,boss@example.com,2026-01-05\n"
    "boss@example.com,Bea,Boss,,2025-01-01\n"
)


def test_hr_adds_invites_imports_and_deactivates(page, live_server, login, hr, employee):
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    login(page, hr)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="People").click()
    expect(page.get_by_role("heading", name="People", level=1)).to_be_visible()
    expect(page.get_by_role("link", name=str(employee))).to_be_visible()

    page.get_by_role("button", name="Add a person").click()
    page.get_by_label("Username").fill("dana")
    page.get_by_label("E-mail address").fill("dana@example.com")
    page.get_by_label("First name").fill("Dana")
    page.get_by_label("Last name").fill("Berg")
    page.get_by_role("button", name="Add the person").click()
    expect(page.get_by_text("An invitation was e-mailed to dana@example.com")).to_be_visible()
    expect(page.locator(".people-status").get_by_text("Invited ")).to_be_visible()
    dana = User.objects.get(username="dana")
    assert OutgoingEmail.objects.filter(user=dana).count() == 1
    page.get_by_role("button", name="Revoke the invitation").click()
    expect(page.get_by_text("invitation was revoked")).to_be_visible()
    expect(page.locator(".people-status").get_by_text("Never invited")).to_be_visible()

    page.goto(f"{live_server.url}/accounts/people/import/")
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "people.csv", "mimeType": "text/csv", "buffer": CSV.encode()}]
    )
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("heading", name="Preview: nothing is saved yet")).to_be_visible()
    assert not User.objects.filter(email="lea@example.com").exists()
    page.get_by_role("button", name="Import 2 people").click()
    expect(page.get_by_text("2 added, 0 updated")).to_be_visible()
    assert User.objects.get(email="lea@example.com").manager.email == "boss@example.com"

    page.get_by_role("link", name="Lea Berg").click()
    page.get_by_role("button", name="Deactivate…").click()
    expect(page.get_by_text("withdraws their pending leave requests")).to_be_visible()
    page.get_by_role("button", name="Deactivate Lea Berg").click()
    expect(page.get_by_text("Lea Berg was deactivated")).to_be_visible()
    expect(page.get_by_role("button", name="Reactivate")).to_be_visible()
    assert not User.objects.get(email="lea@example.com").is_active
    assert errors == []
