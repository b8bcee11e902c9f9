"""The site's URLs and one page that fails, so that a browser test sees the 500 page exactly as a
browser gets it (the live server answers through config.views.server_error, as in production)."""

from django.urls import path

from config.urls import handler400, handler403, handler404, handler500
from config.urls import urlpatterns as site_urlpatterns

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


def fail(request):
    raise RuntimeError("A deliberate failure: the 500 page under test")


urlpatterns = [*site_urlpatterns, path("tests/fail/", fail)]
