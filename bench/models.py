"""The marker of a generated benchmark data set: `make bench` reuses the data when it matches."""

from django.db import models


class Dataset(models.Model):
    """One run of `bench_generate`. `finished_at` is set in the same transaction as the data,
    so a marker with a finish time always means the whole data set is there."""

    version = models.PositiveIntegerField(help_text="bench.generator.VERSION that made the data.")
    scale = models.JSONField(help_text="The generator's parameters (users, entries, sprockets, ...).")
    prefix = models.CharField(max_length=20, default="bench", help_text="Start of every generated name.")
    data_end = models.DateField(help_text="The last day with generated time entries and sprockets.")
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self):
        return f"bench data v{self.version} {self.scale}"
