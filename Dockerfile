# One image for every Arcadia process (web, worker, beat, flower, dosim,
# release); docker-compose.yml picks the process with the command, which
# names a line of the Procfile.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first: this layer is rebuilt only when the pins change.
# psycopg2-binary ships its own libpq, so no compiler or system packages.
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .

# Never run the app as root; beat writes its schedule under /tmp.
RUN useradd --system --uid 10001 --home-dir /app arcadia
USER arcadia

EXPOSE 8000 5555 8089
ENTRYPOINT ["/app/scripts/procfile-exec"]
CMD ["web"]
