"""Session pages: login required everywhere but login and health, login/logout/password change."""

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.tests.factories import PASSWORD, HRFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_dashboard_requires_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith(reverse("accounts:login"))


def test_login_page_is_public_and_styled(client):
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'for="id_username"' in html and "pico.min.css" in html


def test_login_with_good_password_reaches_dashboard(client, employee):
    response = client.post(reverse("accounts:login"), {"username": "employee", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == "/"
    assert "Hello" in response.content.decode()


def test_login_with_bad_password_stays_on_login_with_error(client, employee):
    response = client.post(reverse("accounts:login"), {"username": "employee", "password": "nope"})
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_logout_is_a_post(client, employee):
    client.force_login(employee)
    assert client.get(reverse("accounts:logout")).status_code == 405
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_password_change_with_wrong_old_password_changes_nothing(client, employee):
    client.force_login(employee)
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": "wrong", "new_password1": "another-long-phrase-7", "new_password2": "another-long-phrase-7"},
    )
    assert response.status_code == 200
    employee.refresh_from_db()
    assert employee.check_password(PASSWORD)


def test_pages_send_security_headers_and_strict_csp(client, employee):
    client.force_login(employee)
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert "object-src 'none'" in csp and "base-uri 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_no_inline_script_in_the_layout(client, employee):
    import re

    client.force_login(employee)
    html = client.get("/").content.decode()
    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag, f"inline script found: {tag}"


def test_admin_smoke(admin_client):
    assert admin_client.get(reverse("admin:accounts_user_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:accounts_user_add")).status_code == 200


def test_dashboard_query_count_is_small(client, employee, django_assert_max_num_queries):
    client.force_login(employee)
    with django_assert_max_num_queries(12):
        assert client.get("/").status_code == 200


@pytest.mark.parametrize("role", ["employee", "manager", "hr", "billing"])
def test_a_session_user_comes_with_their_roles_in_one_query(client, role):
    """The roles every page reads (navigation, dashboard cards) are columns of the user's query
    (accounts.backends.RolesInOneQuery): no query of the user's groups or reports of its own."""
    user = HRFactory() if role == "hr" else UserFactory()
    if role == "manager":
        UserFactory(manager=user)
    if role == "billing":
        user.groups.add(Group.objects.get_or_create(name=settings.BILLING_GROUP_NAME)[0])
    client.force_login(user)
    with CaptureQueriesContext(connection) as captured:
        html = client.get("/").content.decode()
    role_reads = [
        query["sql"]
        for query in captured.captured_queries
        if 'INNER JOIN "accounts_user_groups"' in query["sql"]
        or query["sql"].startswith('SELECT 1 AS "a" FROM "accounts_user" WHERE "accounts_user"."manager_id"')
    ]
    assert role_reads == []
    # The roles are right: the navigation shows what each may open.
    assert (f'href="{reverse("timetracking:team")}"' in html) == (role in ("manager", "hr"))
    assert (f'href="{reverse("invoices:list")}"' in html) == (role in ("hr", "billing"))


def test_unknown_api_url_is_a_json_404(client, employee):
    client.force_login(employee)
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    page = client.get("/no-such-page/")
    assert page.status_code == 404 and page.headers["Content-Type"].startswith("text/html")


def test_nul_bytes_in_the_url_are_400(client, employee):
    client.force_login(employee)
    response = client.get("/api/v1/users/", {"search": "a\x00b"})
    assert response.status_code == 400
    assert client.get("/api/v1/users/%00/").status_code == 400


def test_overlong_query_values_are_400(client, employee):
    from config.middleware import MAX_QUERY_VALUE_LENGTH

    client.force_login(employee)
    assert client.get("/api/v1/users/", {"ordering": "x" * MAX_QUERY_VALUE_LENGTH}).status_code == 200
    response = client.get("/api/v1/users/", {"ordering": "x" * (MAX_QUERY_VALUE_LENGTH + 1)})
    assert response.status_code == 400
    assert "ordering" in response.json()


def test_token_inputs_are_bounded(api_client, employee):
    response = api_client.post("/api/v1/auth/token/", {"username": "u" * 151, "password": "x"}, format="json")
    assert response.status_code == 400
    assert "username" in response.json()
    assert api_client.post("/api/v1/auth/token/verify/", {"token": "t" * 2001}, format="json").status_code == 400
