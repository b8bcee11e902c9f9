"""S3-compatible storage (AWS_STORAGE_BUCKET_NAME) against a real S3 server: moto's standalone
server on 127.0.0.1, spoken to over HTTP by boto3 as in production. The app's S3 settings are
the ones a real start derives from the README's variables (read from a `manage.py` process).

Proves: leave attachments and report export/import files land in the bucket as private objects,
are streamed back through the API and the pages to the people allowed to see them (byte for
byte), are 404 for anyone else, and `manage.py check` passes with these variables and fails on
a bad one (naming it)."""

import json
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core.files.storage import default_storage, storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from config.tests.servers import MotoS3Server, app_env
from leave.models import LeaveRequest
from leave.tests.factories import SickLeaveTypeFactory
from reports.models import ExportJob, ImportJob, JobStatus
from reports.tests.factories import TimeEntryFactory, utc

PDF_BYTES = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
S3_BACKEND = "storages.backends.s3.S3Storage"


@pytest.fixture(scope="module")
def moto_s3(tmp_path_factory):
    server = MotoS3Server(tmp_path_factory.mktemp("moto-s3") / "moto.log")
    yield server
    server.stop()


def manage(*args, env, code=None):
    """`python manage.py ...` in a fresh process with only these variables added, as a deployment
    would start (DEBUG off, no pytest). `code` runs in place of manage.py, before it."""
    command = [sys.executable, "manage.py", *args] if code is None else [sys.executable, "-c", code, *args]
    return subprocess.run(
        command,
        cwd=django_settings.BASE_DIR,
        env=app_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


DUMP_SETTINGS = (
    "import json; from django.conf import settings as s; "
    "print(json.dumps({'STORAGES': s.STORAGES, **{n: getattr(s, n) for n in dir(s) if n.startswith('AWS_')}}))"
)


@pytest.fixture(scope="module")
def s3_app_settings(moto_s3):
    """The storage settings a real start derives from the README's S3 variables."""
    started = manage("shell", "-c", DUMP_SETTINGS, env=moto_s3.environment("timetrack-settings"))
    assert started.returncode == 0, started.stderr
    return json.loads(started.stdout.strip().splitlines()[-1])


@pytest.fixture
def bucket(moto_s3, s3_app_settings, settings):
    """A fresh bucket, and the app's default storage switched to S3 on it for this test."""
    name = moto_s3.create_bucket(f"timetrack-{uuid.uuid4().hex[:12]}")
    for setting, value in s3_app_settings.items():
        if setting != "STORAGES":
            setattr(settings, setting, value)
    settings.AWS_STORAGE_BUCKET_NAME = name
    # Last: changing STORAGES makes Django (django.test.signals.storages_changed) drop the cached
    # backends and default_storage's instance, so the next access builds an S3Storage with the
    # settings above; the settings fixture's undo does the same back to local files.
    settings.STORAGES = {**settings.STORAGES, "default": s3_app_settings["STORAGES"]["default"]}
    storage = storages["default"]
    assert type(storage).__module__ + "." + type(storage).__name__ == S3_BACKEND
    assert storage.bucket_name == name and default_storage.bucket_name == name
    return name


def object_bytes(moto_s3, bucket, key):
    return moto_s3.client().get_object(Bucket=bucket, Key=key)["Body"].read()


def assert_private(moto_s3, bucket, key):
    """Only the owner has a grant, and the object's plain URL (no signature) is refused."""
    grants = moto_s3.client().get_object_acl(Bucket=bucket, Key=key)["Grants"]
    assert [grant["Grantee"]["Type"] for grant in grants] == ["CanonicalUser"], grants
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{moto_s3.url}/{bucket}/{key}", timeout=10)  # noqa: S310 - local test server
    assert refused.value.code == 403


def body(response):
    assert response.status_code == 200, getattr(response, "content", b"")[:300]
    return b"".join(response.streaming_content)


# --- Settings and startup --------------------------------------------------------------------


def test_the_default_storage_stays_local_files():
    assert django_settings.STORAGES["default"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    assert type(storages["default"]).__name__ == "FileSystemStorage"


def test_the_readme_variables_select_private_s3_storage(moto_s3, s3_app_settings):
    assert s3_app_settings["STORAGES"]["default"]["BACKEND"] == S3_BACKEND
    assert s3_app_settings["AWS_S3_ENDPOINT_URL"] == moto_s3.url
    assert s3_app_settings["AWS_S3_REGION_NAME"] == moto_s3.REGION
    assert s3_app_settings["AWS_S3_ADDRESSING_STYLE"] == "path"
    assert s3_app_settings["AWS_DEFAULT_ACL"] is None  # never public-read
    assert s3_app_settings["AWS_QUERYSTRING_AUTH"] is True


def test_manage_py_check_passes_with_the_s3_settings(moto_s3):
    checked = manage("check", "--fail-level", "WARNING", env=moto_s3.environment("timetrack-check"))
    assert checked.returncode == 0, checked.stderr
    assert "System check identified no issues" in checked.stdout


def test_a_started_app_writes_and_reads_the_bucket(moto_s3):
    """A process configured by the variables alone (no test overrides) stores in the bucket."""
    name = moto_s3.create_bucket(f"timetrack-{uuid.uuid4().hex[:12]}")
    code = (
        "from django.core.files.base import ContentFile; from django.core.files.storage import default_storage; "
        "name = default_storage.save('probe/hello.txt', ContentFile(b'hello S3')); "
        "print(name, default_storage.open(name).read().decode())"
    )
    started = manage("shell", "-c", code, env=moto_s3.environment(name))
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip().splitlines()[-1].split() == ["probe/hello.txt", "hello", "S3"]
    assert moto_s3.keys(name) == ["probe/hello.txt"]
    assert_private(moto_s3, name, "probe/hello.txt")


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        # accounts/tests/test_settings.py tries more bad values of each variable, without a bucket.
        ("AWS_S3_ENDPOINT_URL", "ftp://127.0.0.1:9000"),
        ("AWS_S3_REGION_NAME", "eu central 1"),
        ("AWS_S3_ADDRESSING_STYLE", "virtual-host"),
        ("AWS_SECRET_ACCESS_KEY", ""),  # a key id without its secret
    ],
)
def test_a_bad_s3_variable_fails_at_startup_naming_it(moto_s3, variable, value):
    environment = {**moto_s3.environment("timetrack-check"), variable: value}
    checked = manage("check", env=environment)
    assert checked.returncode != 0
    assert "ImproperlyConfigured" in checked.stderr and variable in checked.stderr, checked.stderr[-2000:]


def test_without_boto3_the_start_fails_not_the_first_upload(moto_s3):
    """As on a machine where requirements.txt did not bring boto3: `check` must not pass."""
    hide_boto3 = "import runpy, sys; sys.modules['boto3'] = None; sys.argv[0] = 'manage.py'; "
    hide_boto3 += "runpy.run_path('manage.py', run_name='__main__')"
    checked = manage("check", env=moto_s3.environment("timetrack-check"), code=hide_boto3)
    assert checked.returncode != 0
    assert "boto3 is not installed" in checked.stderr, checked.stderr[-2000:]


# --- Leave attachments -----------------------------------------------------------------------


def _next_week():
    monday = timezone.localdate() + timedelta(days=7 - timezone.localdate().weekday())
    return {"start_date": monday.isoformat(), "end_date": (monday + timedelta(days=4)).isoformat()}


@pytest.mark.django_db
def test_a_leave_attachment_is_a_private_object_only_its_people_download(
    bucket, moto_s3, client_for, client, employee, manager, hr, outsider, other_manager,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    sick = SickLeaveTypeFactory()
    upload = SimpleUploadedFile("note.pdf", PDF_BYTES, content_type="application/pdf")
    response = client_for(employee).post(
        reverse("api:leave-request-list"), {**_next_week(), "leave_type": sick.pk, "attachment": upload},
        format="multipart",
    )  # fmt: skip
    assert response.status_code == 201, response.json()
    leave_request = LeaveRequest.objects.get(pk=response.json()["id"])
    key = leave_request.attachment.name
    assert key.startswith("leave/attachments/") and key.endswith(".pdf")
    assert moto_s3.keys(bucket) == [key]
    assert object_bytes(moto_s3, bucket, key) == PDF_BYTES
    assert_private(moto_s3, bucket, key)

    api_url = reverse("api:leave-request-attachment", args=[leave_request.pk])
    page_url = reverse("leave:attachment", args=[leave_request.pk])
    for user in (employee, manager, hr):
        download = client_for(user).get(api_url)
        assert body(download) == PDF_BYTES and download["Content-Type"] == "application/pdf"
        client.force_login(user)
        assert body(client.get(page_url)) == PDF_BYTES
    for user in (outsider, other_manager):
        assert client_for(user).get(api_url).status_code == 404
        client.force_login(user)
        assert client.get(page_url).status_code == 404

    # Replacing the document stores the new object and deletes the old one once committed.
    with django_capture_on_commit_callbacks(execute=True):
        replaced = client_for(employee).post(
            api_url, {"attachment": SimpleUploadedFile("scan.png", PNG_BYTES, content_type="image/png")},
            format="multipart",
        )  # fmt: skip
    assert replaced.status_code == 200, replaced.json()
    leave_request.refresh_from_db()
    assert moto_s3.keys(bucket) == [leave_request.attachment.name] != [key]
    assert body(client_for(manager).get(api_url)) == PNG_BYTES


# --- Report exports and imports --------------------------------------------------------------


@pytest.mark.django_db
def test_an_export_job_file_is_stored_in_the_bucket_and_downloaded_only_by_its_owner(
    bucket, moto_s3, client_for, client, employee, manager, settings, django_capture_on_commit_callbacks
):
    settings.REPORTS_ASYNC_EXPORT_THRESHOLD = 3
    start = utc(2026, 3, 2, 7)
    for index in range(5):
        begin = start + timedelta(days=index)
        TimeEntryFactory(user=employee, started_at=begin, ended_at=begin + timedelta(hours=2))
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(employee).get(
            reverse("api:report-export"), {"from": "2026-03-01", "to": "2026-03-31", "format": "csv"}
        )
    assert response.status_code == 202, response.content[:300]
    job = ExportJob.objects.get(pk=response.json()["id"])
    assert job.status == JobStatus.DONE, job.error
    assert moto_s3.keys(bucket) == [job.file.name]
    stored = object_bytes(moto_s3, bucket, job.file.name)
    assert stored.decode("utf-8-sig").count("\n") == 6  # the header and five entries
    assert_private(moto_s3, bucket, job.file.name)

    download_url = client_for(employee).get(reverse("api:report-export-job-detail", args=[job.pk])).json()
    assert body(client_for(employee).get(download_url["download_url"])) == stored
    assert client_for(manager).get(download_url["download_url"]).status_code == 404
    page_url = reverse("reports:export-download", args=[job.pk])
    client.force_login(employee)
    assert body(client.get(page_url)) == stored
    client.force_login(manager)
    assert client.get(page_url).status_code == 404


@pytest.mark.django_db
def test_an_import_file_is_stored_in_the_bucket_and_read_back_by_the_job(
    bucket, moto_s3, client_for, client, employee, colleague, settings, django_capture_on_commit_callbacks
):
    start = utc(2026, 3, 2, 7)
    for index in range(4):
        begin = start + timedelta(days=index)
        TimeEntryFactory(user=employee, started_at=begin, ended_at=begin + timedelta(hours=2))
    exported = body(client_for(employee).get(reverse("api:report-export"), {"from": "2026-03-01", "to": "2026-03-31"}))

    # Through the API, large enough to run as a job: the worker reads the file from the bucket.
    settings.REPORTS_ASYNC_IMPORT_THRESHOLD = 2
    upload = SimpleUploadedFile("mine.csv", exported, content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(colleague).post(
            reverse("api:report-import"), {"file": upload, "format": "native"}, format="multipart"
        )
    assert response.status_code == 202, response.json()
    job = ImportJob.objects.get(pk=response.json()["id"])
    assert (job.status, job.created_count) == (JobStatus.DONE, 4), job.errors
    assert moto_s3.keys(bucket) == [job.file.name] and job.file.name.startswith("reports/imports/")
    assert object_bytes(moto_s3, bucket, job.file.name) == exported
    assert_private(moto_s3, bucket, job.file.name)
    assert client_for(employee).get(reverse("api:report-import-job-detail", args=[job.pk])).status_code == 404

    # Through the page: the upload is kept in the bucket and its preview is read back from there
    # (every row was imported by the job above, so each is a duplicate to skip).
    client.force_login(colleague)
    page = client.post(
        reverse("reports:import"),
        {"file": SimpleUploadedFile("again.csv", exported, content_type="text/csv"), "format": "native"},
    )
    assert page.status_code == 302, page.content[:500]
    page_job = ImportJob.objects.exclude(pk=job.pk).get(requested_by=colleague)
    assert moto_s3.keys(bucket) == sorted([job.file.name, page_job.file.name])
    preview = client.get(reverse("reports:import-job", args=[page_job.pk]))
    assert preview.status_code == 200
    assert (preview.context["preview"]["rows"], preview.context["preview"]["skipped"]) == (4, 4)
    client.force_login(employee)
    assert client.get(reverse("reports:import-job", args=[page_job.pk])).status_code == 404
