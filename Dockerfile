# Production image: gunicorn serving the app; the same image runs the Celery worker and beat.
FROM node:20-bookworm-slim AS assets
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
RUN useradd --create-home --uid 1000 app
# WeasyPrint (invoice PDFs) renders with Pango; DejaVu is the PDF template's font.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt
COPY --from=assets /app/node_modules ./node_modules
COPY . .
# collectstatic needs settings but no secrets or database.
RUN SECRET_KEY=build-only DEBUG=0 python manage.py collectstatic --no-input \
    && mkdir -p /app/media && chown -R app:app /app/media
USER app
EXPOSE 8000
# gunicorn.conf.py (read from /app) sets the worker timeout to REQUEST_TIMEOUT_SECONDS, as the app reads it.
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
