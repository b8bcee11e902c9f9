"""The error pages (400, 403, 404, 500, CSRF) are the site's own, inside the layout: the menu stays
for a signed-in user, the message says what happened (a 403 shows the view's own reason), and the
API keeps answering JSON."""

import pytest
from django.db import DatabaseError
from django.test import Client, RequestFactory
from django.utils.functional import SimpleLazyObject

from config.views import server_error

pytestmark = pytest.mark.django_db


def test_a_missing_page_is_the_layouts_404_with_the_menu(client, employee):
    client.force_login(employee)
    response = client.get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "This page does not exist" in html and "<code>/no-such-page/</code>" in html
    assert 'class="main-nav"' in html and 'href="/time/"' in html  # the menu, not a bare page
    assert "Go to the dashboard" in html


def test_a_forbidden_page_says_why_inside_the_layout(client, employee):
    client.force_login(employee)
    response = client.get("/time/team/")
    html = response.content.decode()
    assert response.status_code == 403
    assert "You cannot open this page" in html
    assert "The team page is for managers and HR." in html  # the view's own message, not hidden
    assert 'class="main-nav"' in html


def test_a_signed_in_users_500_page_keeps_the_menu(employee, settings):
    settings.ROOT_URLCONF = "config.tests.urls_failing"
    client = Client(raise_request_exception=False)
    client.force_login(employee)
    response = client.get("/tests/fail/")
    html = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong on our side" in html and 'class="main-nav"' in html


def test_the_500_page_falls_back_to_no_request_context_and_no_query(django_assert_num_queries, caplog):
    # A request whose layout cannot be built (no session, no user: the context processors fail, as
    # they would when whatever broke the page breaks their reads too).
    request = RequestFactory().get("/time/")

    def user_read_fails():
        raise DatabaseError("the read behind request.user fails")

    request.user = SimpleLazyObject(user_read_fails)
    with django_assert_num_queries(0):
        response = server_error(request)
    html = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong on our side" in html and "<title>Something went wrong" in html
    assert 'class="main-nav"' not in html  # no user without a request context: no menu to build
    assert "could not be rendered with the request" in caplog.text


def test_an_expired_form_is_the_layouts_csrf_page(employee):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(employee)
    response = browser.post("/accounts/logout/")
    assert response.status_code == 403
    assert "This form has expired" in response.content.decode()


def test_the_api_keeps_json_errors(client, employee):
    client.force_login(employee)
    response = client.get("/api/v1/no-such-endpoint/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_an_error_page_that_cannot_render_answers_plainly_with_its_status(client, employee, settings, caplog):
    # As in production without collectstatic: the layout's {% static %} finds no manifest entry.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    client.force_login(employee)
    for path, status in (("/no-such-page/", 404), ("/time/team/", 403)):
        response = client.get(path)
        assert response.status_code == status
        assert "<h1>" in response.content.decode() and 'class="main-nav"' not in response.content.decode()
    assert "could not be rendered" in caplog.text
