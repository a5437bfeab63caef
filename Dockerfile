# Descent: CPU torch by default; for a GPU build pass
#   --build-arg TORCH_INDEX_URL=https://download.pytorch.org/whl/cu128
FROM python:3.11-slim

ARG TORCH_VERSION=2.13.0
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DESCENT_DATABASE_URL=sqlite:////data/descent.db \
    DESCENT_HOST=0.0.0.0

WORKDIR /app
COPY requirements.txt .
# torch first from its own index, so requirements.txt's pin is already met and no CUDA wheel sneaks in
RUN pip install "torch==${TORCH_VERSION}" --index-url "${TORCH_INDEX_URL}" \
    && pip install -r requirements.txt

COPY engine engine
COPY app app
COPY templates templates
COPY static static

RUN useradd --create-home --uid 10001 descent \
    && mkdir -p /data \
    && chown descent:descent /data
USER 10001
VOLUME ["/data"]
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=90s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]

# python -m app refuses to listen on 0.0.0.0 unless DESCENT_TOKEN is set
CMD ["python", "-m", "app"]
