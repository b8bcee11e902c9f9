"""The `/api/v1/` router: every app registers its viewsets here, in one place."""

from csp.decorators import csp_update
from django.conf import settings
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.permissions import BasePermission
from rest_framework.routers import DefaultRouter

from accounts import api as accounts_api
from config.docs import redoc_bundle
from leave import api as leave_api
from reports import api as reports_api
from sprockets import api as sprockets_api
from timetracking import api as timetracking_api
from webhooks import api as webhooks_api

APPS = [accounts_api, timetracking_api, leave_api, sprockets_api, webhooks_api, reports_api]

router = DefaultRouter()
for module in APPS:
    module.register(router)

# Swagger UI and ReDoc style their widgets with inline styles and ReDoc renders in a blob:
# worker: on these two pages only, the CSP allows that. Scripts stay 'self' (no inline script).
docs_csp = csp_update({"style-src": ["'unsafe-inline'"], "worker-src": ["blob:"], "img-src": ["blob:"]})


class ApiDocsAccess(BasePermission):
    """The schema and its docs are public unless API_DOCS_PUBLIC is off; then they need a login
    (session, JWT or API key). They describe the API, never data (README "Security")."""

    def has_permission(self, request, view):
        return settings.API_DOCS_PUBLIC or bool(request.user and request.user.is_authenticated)


docs_access = {"permission_classes": [ApiDocsAccess]}

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(**docs_access), name="schema"),
    path("docs/", docs_csp(SpectacularSwaggerSplitView.as_view(url_name="api:schema", **docs_access)), name="docs"),
    path("redoc/", docs_csp(SpectacularRedocView.as_view(url_name="api:schema", **docs_access)), name="redoc"),
    path("redoc/redoc.standalone.js", redoc_bundle, name="redoc-bundle"),  # templates/drf_spectacular/redoc.html
]
for module in APPS:
    urlpatterns += getattr(module, "urlpatterns", [])
urlpatterns += [path("", include(router.urls))]
