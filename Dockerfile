# The suite's GPU image: the official vLLM image (CUDA, torch and vLLM that match), the suite, and a
# frozen release built and verified at build time, so `docker run --gpus all IMAGE eval MODEL` needs
# no dataset download. README "The GPU image" says how to build, run and publish it.
#
#   docker build -t ghcr.io/off-trajectory-suite/suite:0.1.0 .
#   docker run --gpus all --ipc=host -v ~/.cache/huggingface:/cache/huggingface -v "$PWD/runs:/outputs" \
#       ghcr.io/off-trajectory-suite/suite:0.1.0 eval deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B --out /outputs/r1-1.5b
#
# tests/test_image.py lints this file with hadolint and runs its release step outside Docker (from the
# offline mirror instead of the Hub), so a broken step fails CI before anyone builds the image.
FROM vllm/vllm-openai:v0.32.0

ARG SUITE_VERSION=0.1.0
ARG RELEASE_VERSION=1.0.0
# "hf" reads every benchmark from the Hugging Face Hub at the revisions pinned in suite/release/_benchmarks.py.
ARG RELEASE_SOURCE=hf

LABEL org.opencontainers.image.title="off-trajectory-suite" \
      org.opencontainers.image.description="Recoverability and guidability of reasoning LLMs (Li & Goyal, arXiv 2510.06410)" \
      org.opencontainers.image.version="${SUITE_VERSION}" \
      org.opencontainers.image.source="https://github.com/off-trajectory-suite/suite" \
      io.github.off-trajectory-suite.release.version="${RELEASE_VERSION}"

SHELL ["/bin/bash", "-o", "pipefail", "-c"]
WORKDIR /opt/suite
COPY pyproject.toml README.md ./
COPY suite ./suite
COPY schemas ./schemas

# The suite and its dependencies; vLLM, torch and transformers come from the base image.
RUN python3 -m pip install --no-cache-dir . && suite --version

# The frozen release, built and verified here: a run reads /opt/suite/release (the working directory's ./release).
RUN suite release build --source "${RELEASE_SOURCE}" --out /opt/suite/release --version "${RELEASE_VERSION}" \
    && suite release verify /opt/suite/release \
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
