# The bot's image: the runtime lock (hash-checked) and the source, run as a non-root user.
#   docker build -t operator-bot .
#   docker run --env-file .env -p 8080:8080 -v bot-data:/app/data operator-bot
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /app

# Dependencies first: this layer is rebuilt only when the lock changes.
COPY requirements.lock ./
RUN pip install --require-hashes -r requirements.lock

COPY bot ./bot
COPY handlers ./handlers
COPY storage ./storage
COPY templates ./templates

RUN useradd --system --uid 10001 --home-dir /app --no-create-home bot \
    && mkdir -p /app/data \
    && chown bot:bot /app/data
USER bot

# The embedded store's default file is data/bot.sqlite3 (STORAGE_URL): keep it on a volume.
VOLUME ["/app/data"]
ENV HOST=0.0.0.0 PORT=8080
EXPOSE 8080

# The slim image has no curl: the standard library asks /healthz (a 503 fails the check).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; u.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8080'), timeout=4)"]

CMD ["python", "-m", "bot"]
