"""Webhooks never reach this machine or a private network (SSRF), unless WEBHOOK_ALLOWED_HOSTS
allows the host: refused at registration (API and admin) and again at delivery, after resolving
the name, connecting only to the address that was checked.

Public addresses below are only validated, never sent to (no event is published in those tests);
every delivery goes to a real HTTP server on 127.0.0.1 (or 127.0.0.2, a loopback address the
allow-list does not cover). No test sends a DNS query off this machine: IP literals, `localhost`
(from /etc/hosts), and names whose answers come from a wrapper around getaddrinfo."""

import os
import shutil
import socket
import ssl
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from webhooks import services
from webhooks.models import Delivery, Endpoint
from webhooks.tasks import MAX_ATTEMPTS, relay_outbox
from webhooks.tests.conftest import Receiver

pytestmark = pytest.mark.django_db

LIST_URL = reverse("api:webhook-list")
REFUSED = "Webhook URLs may not point to loopback, private or link-local addresses"
EVENTS = ["time_entry.created"]


def deliver_one_event():
    services.outbox_publish(event_type="time_entry.created", payload={"id": 1})
    relay_outbox.delay()  # eager in tests: relays, then delivers with its retries


def assert_refused_and_recorded(receiver, *fragments):
    assert receiver.requests == []
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.FAILED
    assert delivery.attempts == MAX_ATTEMPTS  # failed attempts, retried with the usual cap, then given up
    assert delivery.response_status is None
    assert delivery.last_error.startswith("Not sent: "), delivery.last_error
    for fragment in fragments:
        assert fragment in delivery.last_error


# --- registration -------------------------------------------------------------------------------

REFUSED_URLS = {
    "loopback": "http://127.0.0.1:8000/hook",
    "loopback, anywhere in 127/8": "http://127.0.0.2/hook",
    "IPv6 loopback": "http://[::1]:8000/hook",
    "cloud metadata (link-local)": "http://169.254.169.254/latest/meta-data/",
    "IPv6 link-local": "http://[fe80::1]/hook",
    "RFC 1918 10/8": "http://10.0.0.1/hook",
    "RFC 1918 172.16/12": "https://172.16.5.4/hook",
    "RFC 1918 192.168/16": "http://192.168.1.1/hook",
    "IPv6 unique local fc00::/7": "http://[fd12:3456::1]/hook",
    "carrier-grade NAT 100.64/10": "http://100.64.0.1/hook",
    "unspecified 0.0.0.0": "http://0.0.0.0:8000/hook",
    "IPv6 unspecified": "http://[::]/hook",
    "multicast": "http://224.0.0.1/hook",
    "IPv6 multicast": "http://[ff02::1]/hook",
    "reserved 240/4": "http://240.0.0.1/hook",
    "broadcast": "http://255.255.255.255/hook",
    "IPv4-mapped loopback": "http://[::ffff:127.0.0.1]/hook",
    "IPv4-mapped metadata": "http://[::ffff:169.254.169.254]/hook",
    "6to4 embedding loopback": "http://[2002:7f00:1::]/hook",
    "NAT64 embedding loopback": "http://[64:ff9b::7f00:1]/hook",
}


@pytest.mark.parametrize("url", REFUSED_URLS.values(), ids=REFUSED_URLS.keys())
def test_registration_refuses_internal_addresses(client_for, hr, url):
    response = client_for(hr).post(LIST_URL, {"url": url, "events": EVENTS}, format="json")
    assert response.status_code == 400, response.json()
    assert REFUSED in response.json()["url"][0]
    assert Endpoint.objects.count() == 0


def test_the_refusal_names_the_address(client_for, hr):
    response = client_for(hr).post(LIST_URL, {"url": "http://169.254.169.254/", "events": EVENTS}, format="json")
    assert response.json() == {"url": [f"{REFUSED} (169.254.169.254)."]}


def test_a_name_that_resolves_to_loopback_is_refused(client_for, hr):
    response = client_for(hr).post(LIST_URL, {"url": "http://localhost:8000/hook", "events": EVENTS}, format="json")
    assert response.status_code == 400
    assert response.json()["url"] == [f"{REFUSED} (localhost resolves to 127.0.0.1)."]


def test_a_name_that_does_not_resolve_is_refused(client_for, hr, monkeypatch):
    """Decided: refused, so a mistyped host is reported at once (delivery would fail anyway).
    The resolver's "no such name" comes from a wrapper around getaddrinfo: tests send no DNS
    query off this machine."""
    real_getaddrinfo = socket.getaddrinfo

    def no_such_name(host, *args, **kwargs):
        if host == "hooks.invalid":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", no_such_name)
    response = client_for(hr).post(LIST_URL, {"url": "https://hooks.invalid/x", "events": EVENTS}, format="json")
    assert response.status_code == 400
    assert response.json()["url"][0].startswith("The host name hooks.invalid does not resolve")


@pytest.mark.parametrize("url", ["http://2130706433/", "http://0x7f.1/", "http://127.1/", "http://0177.0.0.1/"])
def test_odd_spellings_of_loopback_are_refused_at_registration(client_for, hr, url):
    """Django's URL syntax already refuses these (they pass it in rows written otherwise: the
    delivery test below refuses them again after resolving them)."""
    response = client_for(hr).post(LIST_URL, {"url": url, "events": EVENTS}, format="json")
    assert response.status_code == 400
    assert "url" in response.json()
    assert Endpoint.objects.count() == 0


@pytest.mark.parametrize("url", ["http://93.184.216.34/hook", "https://[2606:2800:220:1::1]:8443/hook"])
def test_a_public_address_is_accepted(client_for, hr, url):
    response = client_for(hr).post(LIST_URL, {"url": url, "events": EVENTS}, format="json")
    assert response.status_code == 201, response.json()


def test_changing_the_url_is_checked_too(client_for, hr):
    endpoint = Endpoint.objects.create(url="https://93.184.216.34/hook", events=EVENTS)
    detail = reverse("api:webhook-detail", args=[endpoint.pk])
    client = client_for(hr)
    patched = client.patch(detail, {"url": "http://169.254.169.254/latest/"}, format="json")
    put = client.put(detail, {"url": "http://[::ffff:10.0.0.1]/", "events": EVENTS}, format="json")
    assert (patched.status_code, put.status_code) == (400, 400)
    assert REFUSED in patched.json()["url"][0] and REFUSED in put.json()["url"][0]
    endpoint.refresh_from_db()
    assert endpoint.url == "https://93.184.216.34/hook"
    assert client.patch(detail, {"description": "no URL given: nothing to check"}, format="json").status_code == 200


class TestAllowedHosts:
    def test_an_allowed_address(self, client_for, hr, settings):
        settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
        client = client_for(hr)
        assert client.post(LIST_URL, {"url": "http://127.0.0.1:9000/h", "events": EVENTS}).status_code == 201
        assert client.post(LIST_URL, {"url": "http://127.0.0.2:9000/h", "events": EVENTS}).status_code == 400

    def test_an_allowed_network(self, client_for, hr, settings):
        settings.WEBHOOK_ALLOWED_HOSTS = ["10.0.0.0/8", "fd00::/8"]
        client = client_for(hr)
        for url in ("http://10.20.30.40/h", "http://[fd00::5]/h", "http://[::ffff:10.1.1.1]/h"):
            assert client.post(LIST_URL, {"url": url, "events": EVENTS}, format="json").status_code == 201, url
        refused = client.post(LIST_URL, {"url": "http://192.168.1.1/h", "events": EVENTS}, format="json")
        assert refused.status_code == 400

    def test_an_allowed_name_is_not_resolved_at_registration(self, client_for, hr, settings):
        """It may resolve only inside the workers' network; delivery resolves it."""
        settings.WEBHOOK_ALLOWED_HOSTS = ["hooks.internal"]
        client = client_for(hr)
        assert client.post(LIST_URL, {"url": "https://hooks.internal/h", "events": EVENTS}).status_code == 201
        assert client.post(LIST_URL, {"url": "http://localhost/h", "events": EVENTS}).status_code == 400


# --- the admin ----------------------------------------------------------------------------------


def test_the_admin_refuses_internal_addresses(admin_client, hr):
    admin_client.force_login(hr)
    add = reverse("admin:webhooks_endpoint_add")
    form = {"description": "", "events": '["time_entry.created"]', "is_active": "on"}
    response = admin_client.post(add, {**form, "url": "http://169.254.169.254/latest/"})
    assert response.status_code == 200
    assert f"{REFUSED} (169.254.169.254)." in response.content.decode()
    assert Endpoint.objects.count() == 0
    assert admin_client.post(add, {**form, "url": "https://93.184.216.34/hook"}).status_code == 302
    assert Endpoint.objects.count() == 1


# --- delivery -----------------------------------------------------------------------------------


def test_a_url_allowed_at_registration_but_not_at_delivery_is_not_sent(client_for, hr, receiver, settings):
    """The rule is checked again at delivery: here the allow-list changed; a DNS answer that
    changed since registration is refused the same way."""
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    response = client_for(hr).post(LIST_URL, {"url": receiver.url, "events": EVENTS}, format="json")
    assert response.status_code == 201, response.json()
    settings.WEBHOOK_ALLOWED_HOSTS = []
    deliver_one_event()  # never raises
    assert_refused_and_recorded(receiver, REFUSED, "127.0.0.1")


@pytest.mark.parametrize(
    "host", ["localhost", "2130706433", "0x7f.1", "127.1", "0177.0.0.1", "[::ffff:127.0.0.1]", "[::1]"]
)
def test_internal_urls_written_before_the_rule_are_refused_at_delivery(receiver, host):
    """Endpoints that never went through registration's check (older rows, a shell): the name is
    resolved at delivery and the address refused, however it is spelled."""
    Endpoint.objects.create(url=receiver.url_for(host=host), events=EVENTS)
    deliver_one_event()
    assert_refused_and_recorded(receiver, REFUSED)


def test_a_url_that_is_not_http_is_recorded_not_raised(receiver):
    Endpoint.objects.create(url=f"ftp://127.0.0.1:{receiver.port}/hook", events=EVENTS)
    deliver_one_event()
    assert_refused_and_recorded(receiver, "http:// or https://")


def test_redirects_are_not_followed(settings):
    """A receiver cannot bounce the request to an address it may not reach."""
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    target = Receiver()
    redirecting = Receiver(status=302, headers={"Location": target.url})
    try:
        Endpoint.objects.create(url=redirecting.url, events=EVENTS)
        deliver_one_event()
        assert target.requests == []
        assert len(redirecting.requests) == MAX_ATTEMPTS
        delivery = Delivery.objects.get()
        assert (delivery.status, delivery.response_status, delivery.last_error) == ("failed", 302, "HTTP 302")
    finally:
        target.close()
        redirecting.close()


def test_delivery_connects_to_the_checked_address_and_keeps_the_name(settings, monkeypatch):
    """DNS rebinding: the name's first answer passes the check, a later one would not. The
    delivery resolves once and connects to the checked address, with the URL's name in the Host
    header. (A rebinding DNS server cannot be made this machine's resolver, so the answers come
    from a wrapper around the real getaddrinfo.)"""
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    checked = Receiver(host="127.0.0.1")
    internal = Receiver(host="127.0.0.2", port=checked.port)  # loopback too, but not allowed
    real_getaddrinfo = socket.getaddrinfo
    lookups = []

    def rebinding_getaddrinfo(host, port, *args, **kwargs):
        if host != "hooks.rebind.test":
            return real_getaddrinfo(host, port, *args, **kwargs)
        lookups.append(host)
        return real_getaddrinfo("127.0.0.1" if len(lookups) == 1 else "127.0.0.2", port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding_getaddrinfo)
    try:
        Endpoint.objects.create(url=f"http://hooks.rebind.test:{checked.port}/hook", events=EVENTS)
        deliver_one_event()
        assert internal.requests == []
        assert [request["headers"]["Host"] for request in checked.requests] == [f"hooks.rebind.test:{checked.port}"]
        assert lookups == ["hooks.rebind.test"]
        assert Delivery.objects.get().status == Delivery.Status.SUCCEEDED
    finally:
        checked.close()
        internal.close()


@pytest.fixture
def localhost_certificate(tmp_path):
    """A self-signed certificate for the name localhost, trusted by this test's client only."""
    openssl = shutil.which("openssl")
    assert openssl, "openssl is needed to make the test certificate"
    key, certificate = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost", "-keyout", str(key), "-out", str(certificate)],
        check=True,
        capture_output=True,
        timeout=60,
    )  # fmt: skip
    return key, certificate


def test_https_verifies_the_certificate_of_the_url_s_name(settings, monkeypatch, localhost_certificate):
    """Connecting to the checked address keeps TLS on the URL's name: SNI and the certificate
    check both use `localhost`, not 127.0.0.1 (the certificate names localhost only)."""
    key, certificate = localhost_certificate
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate))  # the client trusts the test certificate
    settings.WEBHOOK_ALLOWED_HOSTS = ["localhost"]
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificate, key)
    server = Receiver(tls=context)
    try:
        Endpoint.objects.create(url=server.url_for(host="localhost", scheme="https"), events=EVENTS)
        deliver_one_event()
        delivery = Delivery.objects.get()
        assert (delivery.status, delivery.last_error) == ("succeeded", "")
        assert server.server_names == ["localhost"]
        assert server.requests[0]["headers"]["Host"] == f"localhost:{server.port}"
    finally:
        server.close()


# --- the setting ---------------------------------------------------------------------------------


def read_setting(value):
    env = {name: value for name, value in os.environ.items() if name not in ("WEBHOOK_ALLOWED_HOSTS",)}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings", "WEBHOOK_ALLOWED_HOSTS": value})
    return subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.WEBHOOK_ALLOWED_HOSTS)"],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("value", ["10.0.0.0/33", "10.0.0.1/8", "300.1.2.3", "fd00::/200", "hooks_internal!", "host.1"])
def test_a_bad_allowed_host_stops_startup_naming_the_variable(value):
    result = read_setting(value)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "WEBHOOK_ALLOWED_HOSTS" in result.stderr, result.stderr


def test_allowed_hosts_are_read_from_the_environment():
    result = read_setting(" hooks.internal, 10.0.0.0/8,[fd00::1], ")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['hooks.internal', '10.0.0.0/8', 'fd00::1']"
    assert read_setting("").stdout.strip() == "[]"
