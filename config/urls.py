from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.utils.translation import gettext_lazy
from django.views.generic import RedirectView
from django.views.i18n import JavaScriptCatalog

from accounts.views import dashboard
from config.health import health
from leave.views_setup import first_run

admin.site.site_header = gettext_lazy("Timetrack administration")
admin.site.site_title = gettext_lazy("Timetrack admin")

urlpatterns = [
    path("health/", health, name="health"),
    # Browsers ask for /favicon.ico on pages (like the admin) that do not name an icon.
    # The unhashed name: WhiteNoise serves it too, and nothing needs the manifest at import time.
    path("favicon.ico", RedirectView.as_view(url=settings.STATIC_URL + "favicon.svg", permanent=True)),
    path("", dashboard, name="dashboard"),
    # The scripts' messages in the reader's language (locale/*/djangojs.po): a script file, so the CSP holds.
    path("jsi18n/", login_not_required(JavaScriptCatalog.as_view()), name="javascript-catalog"),
    path("setup/", first_run, name="setup"),  # the first-run page, until the company is set up
    path("admin/", admin.site.urls),
    path("api/v1/", include(("config.api", "api"), namespace="api")),
    path("accounts/", include("accounts.urls")),
    # Single sign-on (accounts/sso.py): 404 unless OIDC_ISSUER_URL is set.
    path("oidc/", include("mozilla_django_oidc.urls")),
    path("", include("timetracking.urls")),
    path("leave/", include("leave.urls")),
    path("factories/", include("sprockets.urls")),
    path("reports/", include("reports.urls")),
    path("invoices/", include("billing.urls_invoices")),
    path("projects/", include("billing.urls_budgets")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler500 = "config.views.server_error"
handler404 = "config.views.page_not_found"
handler400 = "config.views.bad_request"
handler403 = "config.views.permission_denied"
