import pytest

# The test receivers listen on 127.0.0.1, which webhooks may not reach by default
# (webhooks/destinations.py): the tests that deliver to them allow it, as an operator would
# allow an internal receiver with WEBHOOK_ALLOWED_HOSTS.
LOOPBACK_RECEIVERS = "127.0.0.1"


@pytest.fixture
def loopback_receivers(settings):
    settings.WEBHOOK_ALLOWED_HOSTS = [LOOPBACK_RECEIVERS]
