"""The container that runs ``suite eval`` in the suite's GPU image (pure: arguments in, Docker SDK arguments out).

Inside the image: ``ENTRYPOINT ["suite"]``, the frozen release in the working directory
(``/opt/suite/release``), the Hugging Face cache at ``/cache/huggingface`` and results in
``/outputs``; see the Dockerfile.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from suite import __version__
from suite._errors import SuiteError

if TYPE_CHECKING:
    from docker.types import DeviceRequest

IMAGE = f"ghcr.io/off-trajectory-suite/suite:{__version__}"
"""The image of this suite version (``release.yml`` pushes it on the version tag)."""
CACHE, OUTPUTS = "/cache/huggingface", "/outputs"
PASSED_ENV = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_ENDPOINT")
"""Variables handed to the container when they are set here (the token never appears in the command)."""
MANAGED = ("--out", "--release")
"""``suite eval`` options the container sets itself."""


@dataclass(frozen=True)
class ContainerRun:
    """What the user asked for."""

    model: str
    out: Path
    hf_cache: Path
    image: str = IMAGE
    gpus: str = "all"
    """``all`` or comma-separated device indices."""
    shm_size: str = "16g"
    ipc_host: bool = False
    user: str | None = None
    """``uid:gid`` to run as (default: the image's non-root user)."""
    eval_args: tuple[str, ...] = ()


def device_requests(gpus: str) -> list[DeviceRequest]:
    """What ``docker run --gpus all`` (or ``--gpus '"device=0,1"'``) asks the engine for."""
    from docker.types import DeviceRequest

    if gpus == "all":
        return [DeviceRequest(count=-1, capabilities=[["gpu"]])]
    ids = [g.strip() for g in gpus.split(",")]
    if not all(i.isdigit() for i in ids):
        raise SuiteError(f"--gpus {gpus} must be 'all' or device indices like 0,1.")
    return [DeviceRequest(device_ids=ids, capabilities=[["gpu"]])]


def container_spec(run: ContainerRun, environ: Mapping[str, str]) -> dict[str, Any]:
    """Keyword arguments for ``docker.from_env().containers.run``."""
    managed = [a for a in run.eval_args if a.split("=", 1)[0] in MANAGED]
    if managed:
        raise SuiteError(
            f"{managed[0]} is set by suite container eval (the image's release, --out on the host); leave it out."
        )
    command: Sequence[str] = ["eval", run.model, "--out", OUTPUTS, *run.eval_args]
    spec: dict[str, Any] = {
        "image": run.image,
        "command": list(command),
        "device_requests": device_requests(run.gpus),
        "volumes": {
            str(run.hf_cache.resolve()): {"bind": CACHE, "mode": "rw"},
            str(run.out.resolve()): {"bind": OUTPUTS, "mode": "rw"},
        },
        # HOME: any uid may run the image, and caches (vLLM, torch, triton) write under it.
        "environment": {"HF_HOME": CACHE, "HOME": "/tmp"} | {k: environ[k] for k in PASSED_ENV if environ.get(k)},
        "shm_size": run.shm_size,
        "detach": True,
        "labels": {"org.opencontainers.image.title": "off-trajectory-suite eval", "suite.model": run.model},
        "stop_signal": "SIGTERM",
    }
    if run.ipc_host:
        spec["ipc_mode"] = "host"
    if run.user:
        spec["user"] = run.user
    return spec
