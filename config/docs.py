"""ReDoc's bundle as the API docs page loads it: without the one asset it fetches from its vendor.

ReDoc 2 draws the "API docs by Redocly" link in its sidebar with a logo image from its vendor's CDN,
hard-coded and with no option to turn it off: the CSP refuses it (a console error on every load)
and offline it is a failed request. This serves drf-spectacular-sidecar's bundle (the pinned npm
build shipped in the wheel) with that image left out; the link's text stays.
"""

import functools
import re

from django.contrib.auth.decorators import login_not_required
from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

BUNDLE = "drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"
# React.createElement("img", {alt: "redocly logo", onError: ..., src: "https://.../logo-mini.svg"})
VENDOR_LOGO = re.compile(r'\w+\.createElement\("img",\{alt:"redocly logo",[^{}]*src:"https://[^"]+"\}\)')


@functools.cache
def bundle_without_vendor_logo():
    with open(finders.find(BUNDLE), encoding="utf-8") as bundle:
        source = bundle.read()
    patched, replaced = VENDOR_LOGO.subn("null", source)
    if replaced != 1:  # a new ReDoc build: look again at what it loads
        raise RuntimeError(f"ReDoc's vendor logo was found {replaced} times in {BUNDLE}, expected once")
    return patched


@require_GET
@login_not_required
@cache_control(public=True, max_age=86400)
def redoc_bundle(request):
    return HttpResponse(bundle_without_vendor_logo(), content_type="text/javascript; charset=utf-8")
