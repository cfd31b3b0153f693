# The suite's GPU image: the official vLLM image (CUDA, torch and vLLM that match), the suite, and the
# published release pulled by its ref and checked against its sha256 at build time, so
# `docker run --gpus all IMAGE eval MODEL` needs no dataset download. README "Three ways to get a model on the
# leaderboard" (item 1) says how to build, run and publish it; "Publishing a release" where the pin comes from.
#
#   docker build -t ghcr.io/off-trajectory-suite/suite:0.1.0 \
#       --build-arg SUITE_RELEASE_REF=hf://datasets/OWNER/NAME@COMMIT/releases/1.0.0 \
#       --build-arg SUITE_RELEASE_SHA256=SHA256_OF_ITS_MANIFEST_JSON .
#   docker run --gpus all --ipc=host -v ~/.cache/huggingface:/cache/huggingface -v "$PWD/runs:/outputs" \
#       ghcr.io/off-trajectory-suite/suite:0.1.0 eval deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B \
#       --backend vllm --require-complete --out /outputs/r1-1.5b
#
# tests/test_image.py lints this file with hadolint and runs its release step outside Docker (against a
# local stand-in for the Hub), so a broken step fails CI before anyone builds the image.
FROM vllm/vllm-openai:v0.32.0

ARG SUITE_VERSION=0.1.0
# The release, pinned: both are required and printed by `suite release publish` (no release is built here).
ARG SUITE_RELEASE_REF
ARG SUITE_RELEASE_SHA256

LABEL org.opencontainers.image.title="off-trajectory-suite" \
      org.opencontainers.image.description="Recoverability and guidability of reasoning LLMs (Li & Goyal, arXiv 2510.06410)" \
      org.opencontainers.image.version="${SUITE_VERSION}" \
      org.opencontainers.image.source="https://github.com/off-trajectory-suite/suite" \
      io.github.off-trajectory-suite.release.ref="${SUITE_RELEASE_REF}" \
      io.github.off-trajectory-suite.release.sha256="${SUITE_RELEASE_SHA256}"

SHELL ["/bin/bash", "-o", "pipefail", "-c"]
WORKDIR /opt/suite
COPY pyproject.toml README.md ./
COPY suite ./suite
COPY schemas ./schemas

# The suite and its dependencies; vLLM (the [vllm] extra checks its version), torch and transformers come from the base image.
RUN python3 -m pip install --no-cache-dir './[vllm]' && suite --version

# The frozen release, downloaded by ref and refused unless its manifest has the pinned sha256 and every file
# verifies: a run reads /opt/suite/release (SUITE_RELEASE).
RUN suite release pull "${SUITE_RELEASE_REF}" --sha256 "${SUITE_RELEASE_SHA256}" --out /opt/suite/release \
    && chmod -R a+rX /opt/suite/release

# A non-root user; any --user works too (outputs and cache are volumes, HOME is a writable /tmp).
RUN useradd --uid 1000 --create-home --shell /usr/sbin/nologin suite \
    && mkdir -p /outputs /cache/huggingface \
    && chown suite:suite /outputs /cache/huggingface

ENV HF_HOME=/cache/huggingface \
    SUITE_RELEASE=/opt/suite/release
VOLUME ["/cache/huggingface", "/outputs"]
USER 1000:1000
ENTRYPOINT ["suite"]
CMD ["--help"]
