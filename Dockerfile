# Descent: CPU torch by default; for a GPU build pass
#   --build-arg TORCH_INDEX_URL=https://download.pytorch.org/whl/cu128
# and for the image of a Ray cluster (docker-compose.cluster.yml) --build-arg RAY_VERSION=2.60.0
# Any base with Python 3.11 and its venv module works: the tests build on a Debian bookworm made with debootstrap
# (--build-arg BASE_IMAGE=...), where no registry holds python:3.11-slim.
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE}

ARG TORCH_VERSION=2.13.0
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ARG RAY_VERSION=

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH \
    DESCENT_DATABASE_URL=sqlite:////data/descent.db \
    DESCENT_DATA_DIR=/data \
    DESCENT_HOST=0.0.0.0

WORKDIR /app
# a venv: Debian's own Python is "externally managed" and refuses pip installs into it.
# torch first, from its own index and in its own layer: requirements.txt's pin is then met (no CUDA wheel sneaks
# in), and a change to requirements.txt does not reinstall it. pip's cache is a build cache mount, kept between
# builds and never in the image.
RUN --mount=type=cache,target=/root/.cache/pip \
    python3 -m venv /opt/venv \
    && pip install "torch==${TORCH_VERSION}" --index-url "${TORCH_INDEX_URL}"
COPY requirements.txt .
RUN --mount=type=cache,target=/root/.cache/pip \
    pip install -r requirements.txt \
    && if [ -n "${RAY_VERSION}" ]; then pip install "ray[default]==${RAY_VERSION}"; fi

COPY engine engine
COPY app app
COPY templates templates
COPY static static
# bytecode made once here: PYTHONDONTWRITEBYTECODE keeps the running server from writing it, and compiling app/ and
# engine/ at every start cost 0.15 s of the 0.9 s to the first answer
RUN python -m compileall -q engine app

RUN useradd --create-home --uid 10001 descent \
    && mkdir -p /data \
    && chown descent:descent /data
USER 10001
VOLUME ["/data"]
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=90s --retries=3 \
    CMD ["python", "-m", "app.healthcheck"]

# python -m app refuses to listen on 0.0.0.0 unless DESCENT_TOKEN is set
CMD ["python", "-m", "app"]
