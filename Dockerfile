# chitieu API image: installs with the same `make install` as a developer machine, but not editable
# (EDITABLE=) and as root, so the code is read-only to the non-root user that runs it; migrates on
# start, then serves on port 8000. The first admin key: README, "Docker".
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
COPY pyproject.toml Makefile README.md ./
COPY app ./app
COPY migrations ./migrations
COPY seed_data ./seed_data
# The sources go once installed: the package in .venv is the only copy, owned by root. seed_data/ stays
# (read by `chitieu seed` from the working directory). Only /app/data is the user's.
RUN make install PYTHON=python3 EDITABLE= \
    && rm -rf app migrations build chitieu.egg-info \
    && mkdir -p /app/data && chown chitieu:chitieu /app/data

USER chitieu

VOLUME ["/app/data"]
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD [".venv/bin/python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4).status == 200 else 1)"]

# Migrate, then serve (`chitieu serve`: uvicorn without a Server header). The demo plan: .venv/bin/chitieu seed
CMD ["sh", "-c", ".venv/bin/chitieu migrate && exec .venv/bin/chitieu serve --host 0.0.0.0 --port 8000"]
