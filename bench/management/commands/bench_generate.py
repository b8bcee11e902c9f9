"""Generate the benchmark data set (see bench/generator.py), or reuse it when it is there."""

import sys
import time

from django.core.management.base import BaseCommand, CommandError

from bench.generator import FULL, Generator, GeneratorError, Scale, find_dataset


class Command(BaseCommand):
    help = "Bulk-generate the benchmark data (1,000 users, 1,000,000 time entries, 1,000,000 sprockets...)."

    def add_arguments(self, parser):
        for name, value in FULL.as_dict().items():
            parser.add_argument(f"--{name.replace('_', '-')}", type=int, default=value, dest=name)

    def handle(self, *args, **options):
        scale = Scale(**{name: options[name] for name in FULL.as_dict()})
        dataset = find_dataset(scale)
        if dataset is not None:
            self.stdout.write(f"Reusing the benchmark data generated at {dataset.finished_at:%Y-%m-%d %H:%M} UTC.")
            return
        began = time.perf_counter()
        self._scale = scale.as_dict()
        try:
            Generator(scale=scale, progress=self._progress).run()
        except GeneratorError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Generated the benchmark data in {time.perf_counter() - began:.0f} s.")

    def _progress(self, label, count, done=False):
        """A one-line progress bar per table on a terminal; one line per table otherwise."""
        expected = {"time entries": "entries", "sprockets": "sprockets", "leave requests": "leave_requests"}
        total = self._options_total(expected.get(label))
        if done:
            self.stdout.write(f"\r  {label:<22} {count:>10,} rows" + " " * 30)
        elif total and sys.stdout.isatty():
            filled = int(30 * count / total)
            self.stdout.write(f"\r  {label:<22} [{'#' * filled}{'.' * (30 - filled)}] {count:,}", ending="")
            self.stdout.flush()

    def _options_total(self, name):
        return getattr(self, "_scale", {}).get(name) if name else None
