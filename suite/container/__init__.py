"""``suite container eval``: the suite's GPU image started through the Docker SDK."""

from suite.container._run import docker_client, run_container
from suite.container._spec import IMAGE, ContainerRun, container_spec, device_requests

__all__ = ["IMAGE", "ContainerRun", "container_spec", "device_requests", "docker_client", "run_container"]
