from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from accounts.views import dashboard
from config.health import health
from leave.views_setup import first_run

admin.site.site_header = "Timetrack administration"
admin.site.site_title = "Timetrack admin"

urlpatterns = [
    path("health/", health, name="health"),
    # Browsers ask for /favicon.ico on pages (like the admin) that do not name an icon.
    # The unhashed name: WhiteNoise serves it too, and nothing needs the manifest at import time.
    path("favicon.ico", RedirectView.as_view(url=settings.STATIC_URL + "favicon.svg", permanent=True)),
    path("", dashboard, name="dashboard"),
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
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler500 = "config.views.server_error"
handler404 = "config.views.page_not_found"
handler400 = "config.views.bad_request"
handler403 = "config.views.permission_denied"
