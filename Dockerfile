# chitieu API image: installs with the same `make install` as a developer machine,
# runs as a non-root user, migrates on start, then serves on port 8000.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DATABASE_URL=sqlite:////app/data/chitieu.db

RUN apt-get update \
    && apt-get install -y --no-install-recommends make \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 chitieu

WORKDIR /app
COPY --chown=chitieu:chitieu pyproject.toml Makefile README.md ./
COPY --chown=chitieu:chitieu app ./app
COPY --chown=chitieu:chitieu migrations ./migrations
COPY --chown=chitieu:chitieu seed_data ./seed_data
RUN mkdir -p /app/data && chown chitieu:chitieu /app /app/data

USER chitieu
RUN make install PYTHON=python3

VOLUME ["/app/data"]
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD [".venv/bin/python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4).status == 200 else 1)"]

# Migrate, then serve. Load the demo plan with: docker run ... .venv/bin/chitieu seed
CMD ["sh", "-c", ".venv/bin/chitieu migrate && exec .venv/bin/uvicorn app.main:create_app --factory --no-server-header --host 0.0.0.0 --port 8000"]
