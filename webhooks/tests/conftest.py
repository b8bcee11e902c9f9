import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

# The test receivers listen on 127.0.0.1, which webhooks may not reach by default
# (webhooks/destinations.py): the tests that deliver to them allow it, as an operator would
# allow an internal receiver with WEBHOOK_ALLOWED_HOSTS.
LOOPBACK_RECEIVERS = "127.0.0.1"


@pytest.fixture
def loopback_receivers(settings):
    settings.WEBHOOK_ALLOWED_HOSTS = [LOOPBACK_RECEIVERS]


class Receiver:
    """An HTTP server on a loopback address that records every request it gets and answers
    `status` (which a test may change while it runs)."""

    def __init__(self, host="127.0.0.1", port=0, status=204, headers=None, tls=None):
        self.status = status
        self.requests = []
        self.server_names = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def handle_one(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                receiver.requests.append({"method": self.command, "headers": dict(self.headers), "body": body})
                self.send_response(receiver.status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_POST = do_GET = handle_one

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.port = self.server.server_port
        if tls is not None:
            tls.sni_callback = lambda _socket, name, _context: receiver.server_names.append(name)
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.url = self.url_for()
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url_for(self, host="127.0.0.1", scheme="http"):
        return f"{scheme}://{host}:{self.port}/hook"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.close()
