"""Starting the suite's image with the Docker SDK and following it to the end (the only I/O of ``suite.container``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from suite._errors import SuiteError


def docker_client() -> Any:
    """A client for the local Docker engine, or one clear sentence when there is none."""
    import docker
    from docker.errors import DockerException

    try:
        return docker.from_env()
    except DockerException as e:
        raise SuiteError(
            f"no Docker engine answered ({str(e)[:160]}); start Docker (with the NVIDIA container toolkit) "
            "or run `suite eval` without a container."
        ) from None


def run_container(client: Any, spec: dict[str, Any], write: Callable[[str], None]) -> int:
    """Start the container, stream its output to ``write``, and return its exit status.

    Ctrl-C (or SIGTERM) stops the container with SIGTERM, so ``suite eval`` inside saves its samples
    and exits 130; the same command resumes. The container is removed once its status is known.
    """
    from docker.errors import APIError, ImageNotFound

    try:
        container = client.containers.run(**spec)
    except ImageNotFound:
        raise SuiteError(f"the image {spec['image']} is not here; docker pull it or pass --image.") from None
    except APIError as e:
        raise SuiteError(f"Docker refused to start {spec['image']} ({e.explanation or e}).") from None
    try:
        try:
            for chunk in container.logs(stream=True, follow=True):
                write(chunk.decode("utf-8", errors="replace"))
        except KeyboardInterrupt:
            write("\nstopping the container (its samples are saved; run the same command to resume)...\n")
            container.stop(timeout=120)
        return int(container.wait().get("StatusCode", 1))
    finally:
        container.remove(force=True)
