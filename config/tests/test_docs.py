"""The ReDoc bundle the docs page loads (config/docs.py): ReDoc's own, less its CDN logo."""

from django.contrib.staticfiles import finders

from config.docs import BUNDLE


def test_redoc_bundle_is_served_without_anything_from_a_cdn(client):
    response = client.get("/api/v1/redoc/redoc.standalone.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    body = response.content.decode()
    assert "logo-mini.svg" not in body
    assert "API docs by Redocly" in body  # the sidebar link itself stays
    with open(finders.find(BUNDLE), encoding="utf-8") as original:
        assert len(original.read()) - len(body) < 200  # only the image element went


def test_redoc_page_loads_that_bundle(client):
    page = client.get("/api/v1/redoc/").content.decode()
    assert 'src="/api/v1/redoc/redoc.standalone.js"' in page
    assert "https://" not in page
