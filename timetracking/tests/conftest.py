from datetime import UTC, datetime

import pytest
import time_machine

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)  # a Tuesday; 13:00 in Berlin


@pytest.fixture
def frozen():
    """The clock stands still at NOW (a Tuesday, 13:00 in Berlin); `frozen.shift(seconds)` moves it."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller
