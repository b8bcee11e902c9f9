"""Screenshots of every page, at 1366x900 and 390x844, for each demo role: `make screenshots`.

The app runs in this process (Django's live-server thread, which serves the static files itself, so
no collectstatic and no DEBUG are needed for them) on a throwaway SQLite database seeded with
`seed_demo`, and Debian's Chromium, driven by Playwright, signs in as each demo user through the
real login page. Nothing leaves 127.0.0.1, and no one else's database or Redis is touched: the
database and the uploaded files are in a temporary folder and the cache is the local-memory default.
Pages are answered as in production (DEBUG off at request time): the 404 and 500 pages are the site's
own, and a page that fails on purpose (only in this process) shows the 500 page. Each user also gets
an export ready to download and an import waiting to be confirmed, so their pages can be seen.

    make screenshots [SCREENSHOTS_ARGS="--role alice --page leave --width 390"]
    .venv/bin/python tools/screenshots.py [--out screenshots] [--role alice] [--page leave] [--width 390]

Files are named `<role>-<width>-<page>.png` (`alice-1366-time.png`, `manager-390-leave-calendar.png`,
`signed-out-390-login.png`) and listed when done. A page is captured whole, down to MAX_HEIGHT px
(ReDoc's one long page of every operation would be a picture tens of thousands of pixels tall).
"""

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZES = [(1366, 900), (390, 844)]
ROLES = ["alice", "manager", "hr"]  # by default; --role also takes bob and carol
DEMO_USERS = ["alice", "bob", "carol", "manager", "hr"]
FAILING_PAGE = "/screenshots/fail/"
# Two rows of our own import layout: an import waiting to be confirmed shows them as a preview.
IMPORT_CSV = (
    "User,Email,Client,Project,Task,Description,Billable,Start,End,Tags\n"
    ",,,Internal,Meetings,Sprint planning,No,2026-03-02T09:00:00+01:00,2026-03-02T10:30:00+01:00,meeting\n"
    ",,,Website relaunch,Frontend,Checkout form,Yes,2026-03-02T10:45:00+01:00,2026-03-02T12:15:00+01:00,\n"
)
MAX_HEIGHT = 8000
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 60_000


def pages(factory_path, jobs=None, person_path="/accounts/people/0/", invoices=None):
    """(name, path) of every page a signed-in user opens; a page someone may not see shows its 403
    (or 404). `jobs`: the user's own export and import job pages."""
    jobs = jobs or {"export": "/reports/exports/0/", "import": "/reports/import/0/"}
    return [
        ("dashboard", "/"),
        ("time", "/time/"),
        ("time-team", "/time/team/"),
        ("leave", "/leave/"),
        ("leave-calendar", "/leave/calendar/"),
        ("leave-approvals", "/leave/approvals/"),
        ("reports", "/reports/"),
        ("reports-export-job", jobs["export"]),
        ("reports-import", "/reports/import/"),
        ("reports-import-job", jobs["import"]),
        ("factories", "/factories/"),
        ("factory", factory_path),
        ("preferences", "/accounts/preferences/"),
        ("password", "/accounts/password/"),
        ("two-factor", "/accounts/two-factor/"),
        ("two-factor-setup", "/accounts/two-factor/setup/"),
        ("people", "/accounts/people/"),
        ("people-new", "/accounts/people/new/"),
        ("people-import", "/accounts/people/import/"),
        ("person", person_path),
        ("person-deactivate", person_path + "deactivate/"),
        ("invoices", "/invoices/"),
        ("invoice-issued", (invoices or {}).get("issued", "/invoices/0/")),
        ("invoice-draft", (invoices or {}).get("draft", "/invoices/0/")),
        ("api-docs", "/api/v1/docs/"),
        ("api-redoc", "/api/v1/redoc/"),
        ("404", "/no-such-page/"),
        ("500", FAILING_PAGE),
    ]


PAGE_NAMES = [name for name, _ in pages("")]


def prepare_django(workdir):
    """Settings for a process of its own: the temporary database and media, no Redis, debug pages off."""
    for name in ("REDIS_URL", "DATABASE_URL", "PYTEST_VERSION"):
        os.environ.pop(name, None)
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'demo.sqlite3'}"
    os.environ["MEDIA_ROOT"] = str(workdir / "media")
    os.environ["EMAIL_URL"] = "memorymail://"  # the demo's notifications stay in memory
    os.environ.setdefault("DEBUG", "1")  # the development settings (no HTTPS redirect, a default key)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    # Playwright's sync API keeps an event loop in this thread; the ORM is only used before it starts.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings

    # Answer as in production: the site's own 404 and 500 pages, not Django's debug pages. (DEBUG was
    # on while the settings were read only for what it selects there: no HTTPS redirect, a default
    # key, plain static file storage.)
    settings.DEBUG = False
    add_failing_page()


def add_failing_page():
    """A page that fails, in this process only, to show the 500 page as a browser gets it. Its
    traceback is expected: it is kept out of the output."""
    import logging

    from django.urls import path

    from config import urls

    def fail(request):
        raise RuntimeError("A deliberate failure: the 500 page's screenshot")

    urls.urlpatterns.append(path(FAILING_PAGE.strip("/") + "/", fail))
    logging.getLogger("django.request").addFilter(lambda record: FAILING_PAGE not in record.getMessage())


def seed():
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115 (closed with the process)


def add_jobs(usernames):
    """{username: {"export": path, "import": path}}: an export ready to download and an import
    waiting to be confirmed, for each user."""
    from django.core.files.base import ContentFile
    from django.urls import reverse
    from django.utils import timezone

    from accounts.models import User
    from reports.models import ExportJob, ImportFormat, ImportJob, JobStatus

    jobs = {}
    for user in User.objects.filter(username__in=usernames):
        export = ExportJob(
            requested_by=user, status=JobStatus.DONE, total_rows=2, processed_rows=2, finished_at=timezone.now()
        )
        export.file.save("time-entries.csv", ContentFile(b"Date,Hours\n"))  # saved with its file: a done job has one
        imported = ImportJob(
            requested_by=user, user=user, format=ImportFormat.NATIVE, file_name="entries.csv", total_rows=2
        )
        imported.file.save("entries.csv", ContentFile(IMPORT_CSV.encode()))
        jobs[user.username] = {
            "export": reverse("reports:export-job", args=[export.pk]),
            "import": reverse("reports:import-job", args=[imported.pk]),
        }
    return jobs


def start_server():
    """The live-server thread of Django's own test tools: it answers once `is_ready` is set."""
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.test.testcases import LiveServerThread

    thread = LiveServerThread("127.0.0.1", StaticFilesHandler, port=0)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    return thread, f"http://127.0.0.1:{thread.port}"


def settle(page):
    """Wait for the page itself: loaded, its requests done (htmx panels, the schema), fonts laid out."""
    page.wait_for_load_state("networkidle")
    page.evaluate("document.fonts.ready.then(() => true)")


def capture(page, path):
    height = min(page.evaluate("document.documentElement.scrollHeight"), MAX_HEIGHT)
    width = page.viewport_size["width"]
    page.screenshot(path=str(path), full_page=True, clip={"x": 0, "y": 0, "width": width, "height": height})


def sign_in(page, url, username, password):
    page.goto(f"{url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{url}/")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "screenshots"), help="folder for the PNG files")
    parser.add_argument(
        "--role", action="append", choices=DEMO_USERS, help=f"these demo users (repeatable; default: {' '.join(ROLES)})"
    )
    parser.add_argument("--page", action="append", choices=PAGE_NAMES, help="only these pages (repeatable)")
    parser.add_argument("--width", action="append", type=int, choices=[w for w, _ in SIZES], help="only this width")
    options = parser.parse_args(argv)
    out = Path(options.out)
    out.mkdir(parents=True, exist_ok=True)
    roles = options.role or ROLES
    sizes = [(width, height) for width, height in SIZES if not options.width or width in options.width]
    wanted = set(options.page or PAGE_NAMES)

    with tempfile.TemporaryDirectory(prefix="screenshots-") as workdir:
        prepare_django(Path(workdir))
        seed()
        jobs = add_jobs(roles)
        from accounts.demo import DEMO_PASSWORD
        from sprockets.models import Factory

        factory = Factory.objects.order_by("pk").first()
        factory_path = factory.get_absolute_url() if factory else "/factories/0/"
        from accounts.models import User

        person = User.objects.filter(username="alice").first()
        person_path = f"/accounts/people/{person.pk if person else 0}/"
        from billing.models import Invoice

        invoices = {
            status: f"/invoices/{pk}/"
            for status, pk in Invoice.objects.filter(kind="invoice").order_by("pk").values_list("status", "pk")
        }
        thread, url = start_server()
        from playwright.sync_api import sync_playwright

        written = []
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
                for width, height in sizes:
                    # Signed out: the login page.
                    context = browser.new_context(viewport={"width": width, "height": height}, reduced_motion="reduce")
                    page = context.new_page()
                    page.set_default_timeout(TIMEOUT_MS)
                    page.goto(f"{url}/accounts/login/")
                    settle(page)
                    written.append(out / f"signed-out-{width}-login.png")
                    capture(page, written[-1])
                    context.close()
                    for role in roles:
                        context = browser.new_context(
                            viewport={"width": width, "height": height}, reduced_motion="reduce"
                        )
                        page = context.new_page()
                        page.set_default_timeout(TIMEOUT_MS)
                        sign_in(page, url, role, DEMO_PASSWORD)
                        for name, path in pages(factory_path, jobs.get(role), person_path, invoices):
                            if name not in wanted:
                                continue
                            page.goto(f"{url}{path}")
                            settle(page)
                            written.append(out / f"{role}-{width}-{name}.png")
                            capture(page, written[-1])
                        context.close()
                browser.close()
        finally:
            thread.terminate()
    for path in written:
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    print(f"{len(written)} screenshots in {out}")


if __name__ == "__main__":
    main()
