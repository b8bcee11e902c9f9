"""Celery tasks of the reports app: thin wrappers around services, safe to run twice."""

from celery import shared_task

from reports import services


@shared_task(acks_late=True)
def run_export(job_id):
    """Write a large export to storage (the page polls its progress)."""
    job = services.export_job_run(job_id=job_id)
    return job.status if job else None


@shared_task(acks_late=True)
def run_import(job_id):
    """Import a large file (all or nothing; the page polls its progress)."""
    job = services.import_job_run(job_id=job_id)
    return job.status if job else None


@shared_task(acks_late=True)
def requeue_waiting_jobs():
    """Every few minutes: queue again the jobs a broker outage left waiting (idempotent)."""
    return services.jobs_requeue_waiting()


@shared_task(acks_late=True)
def purge_jobs():
    """Daily: delete finished jobs (and their files) older than REPORTS_JOB_RETENTION_DAYS."""
    return services.jobs_purge()
