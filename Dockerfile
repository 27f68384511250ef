# syntax=docker/dockerfile:1
#
# scorecards-sync for any CI that runs containers:
#
#   docker build -t scorecards-sync .
#   docker run --rm -v "$PWD:/workspace" -e CORTEX_API_KEY scorecards-sync plan --base origin/main
#
# The image runs as an unprivileged user (uid 10001). It only reads the mounted checkout;
# to write a saved plan into it, run as the checkout's owner: `--user "$(id -u):$(id -g)"`.
#
# The base image is pinned by version. For byte-for-byte reproducible builds also pin its
# digest, resolved once with `docker buildx imagetools inspect python:3.12-slim-bookworm`:
#   docker build --build-arg PYTHON_IMAGE=python:3.12-slim-bookworm@sha256:<digest> .
ARG PYTHON_IMAGE=python:3.12-slim-bookworm

# ---- build: a wheel of this project, nothing else --------------------------------------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY scorecards_sync ./scorecards_sync
RUN pip wheel --no-deps --wheel-dir /dist .

# ---- runtime: the wheel, its dependencies, and git ---------------------------------------------
FROM ${PYTHON_IMAGE}
LABEL org.opencontainers.image.title="scorecards-sync" \
      org.opencontainers.image.description="GitOps for Cortex Scorecards: validate, plan, apply" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

# GitPython drives the git executable: plan --base and apply read history through it.
# Debian's security updates replace package versions in place, so pinning one would break
# rebuilds within weeks; the base image tag pins the release instead.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/*

# CI systems mount the checkout owned by another uid than the one this image runs as, and git
# then refuses it ("detected dubious ownership"). The container does nothing but read the one
# repository it is given, so trusting every path inside it is safe here.
RUN git config --system --add safe.directory '*'

COPY --from=build /dist/ /tmp/dist/
RUN pip install /tmp/dist/*.whl \
    && rm -rf /tmp/dist \
    && scorecards-sync --version

RUN useradd --create-home --uid 10001 --user-group --shell /usr/sbin/nologin scorecards
USER 10001:10001
WORKDIR /workspace
ENTRYPOINT ["scorecards-sync"]
CMD ["--help"]
