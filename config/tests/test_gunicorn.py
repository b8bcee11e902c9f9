"""The app under a real gunicorn (gunicorn.conf.py, as in the image and docker-compose.yml)."""

from config.tests.servers import AppServer, app_env


def test_no_server_banner(tmp_path):
    server = AppServer(app_env(), tmp_path / "gunicorn.log", workers=1)
    try:
        for path in ("/health/", "/no-such-page/", "/api/v1/users/me/"):
            answer = server.request("GET", path)
            assert "server" not in answer.headers, (path, answer.headers)
            assert "date" in answer.headers  # gunicorn's other default headers are still written
    finally:
        server.stop()
