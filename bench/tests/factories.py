"""Tiny benchmark data sets: the real generator at a scale that runs in seconds."""

from datetime import date

from bench.generator import Generator, Scale

# 20 users (one manager, 18 reports, HR), 2,000 entries over 60 days.
TINY = Scale(users=20, projects=4, tags=10, entries=2000, leave_requests=60, factories=2, sprockets=2000, days=60)
# Twice the rows per user, per factory and per month, and twice the users.
DOUBLE = Scale(users=40, projects=8, tags=20, entries=8000, leave_requests=120, factories=2, sprockets=4000, days=60)
DATA_END = date(2026, 3, 31)


def generate(scale=TINY, prefix="bench", data_end=DATA_END):
    return Generator(scale=scale, data_end=data_end, prefix=prefix).run()
