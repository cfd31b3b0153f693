"""``suite container eval``: the container spec (pure), and the run loop against a stand-in for the Docker engine.

No Docker engine exists on these machines, so ``run_container`` is driven by a fake client with the
SDK's interface; ``docker_client`` itself runs for real and must fail with one sentence.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from docker.errors import ImageNotFound
from docker.types import DeviceRequest

from suite._errors import SuiteError
from suite.container import IMAGE, ContainerRun, container_spec, docker_client, run_container
from tests.test_cli import run_suite


def test_the_spec_gives_every_gpu_the_cache_the_outputs_and_the_token(tmp_path: Path) -> None:
    revision = ("--revision", "a" * 40)
    run = ContainerRun("org/model", tmp_path / "out", tmp_path / "hf", user="1000:1000", eval_args=revision)
    spec = container_spec(run, {"HF_TOKEN": "hf_secret", "PATH": "/usr/bin"})
    assert spec["image"] == IMAGE and IMAGE.endswith(":0.1.0")
    assert spec["command"] == ["eval", "org/model", "--out", "/outputs", "--revision", "a" * 40]
    assert spec["device_requests"] == [DeviceRequest(count=-1, capabilities=[["gpu"]])]  # docker run --gpus all
    assert spec["volumes"] == {
        str((tmp_path / "hf").resolve()): {"bind": "/cache/huggingface", "mode": "rw"},
        str((tmp_path / "out").resolve()): {"bind": "/outputs", "mode": "rw"},
    }
    assert spec["environment"] == {"HF_HOME": "/cache/huggingface", "HOME": "/tmp", "HF_TOKEN": "hf_secret"}
    assert "hf_secret" not in " ".join(spec["command"])  # the token travels in the environment only
    assert spec["shm_size"] == "16g" and "ipc_mode" not in spec and spec["user"] == "1000:1000" and spec["detach"]
    assert "PATH" not in spec["environment"]


def test_gpu_choice_ipc_and_managed_options(tmp_path: Path) -> None:
    picked = container_spec(ContainerRun("o/m", tmp_path, tmp_path, gpus="0,3", ipc_host=True), {})
    assert picked["device_requests"] == [DeviceRequest(device_ids=["0", "3"], capabilities=[["gpu"]])]
    assert picked["ipc_mode"] == "host" and "HF_TOKEN" not in picked["environment"]
    with pytest.raises(SuiteError, match="must be 'all' or device indices"):
        container_spec(ContainerRun("o/m", tmp_path, tmp_path, gpus="0;rm"), {})
    for managed in (("--out", "/elsewhere"), ("--release=/x",)):
        with pytest.raises(SuiteError, match="is set by suite container eval"):
            container_spec(ContainerRun("o/m", tmp_path, tmp_path, eval_args=managed), {})


class FakeContainer:
    def __init__(self, lines: list[bytes], status: int, interrupt_after: int | None = None) -> None:
        self.lines, self.status, self.interrupt_after = lines, status, interrupt_after
        self.stopped_with: int | None = None
        self.removed = False

    def logs(self, stream: bool, follow: bool) -> Iterator[bytes]:
        assert stream and follow
        for i, line in enumerate(self.lines):
            if i == self.interrupt_after:
                raise KeyboardInterrupt
            yield line

    def stop(self, timeout: int) -> None:
        self.stopped_with = timeout
        self.status = 130  # suite eval inside saved its samples and exited 130

    def wait(self) -> dict[str, Any]:
        return {"StatusCode": self.status}

    def remove(self, force: bool) -> None:
        self.removed = True


class FakeClient:
    def __init__(self, container: FakeContainer | None) -> None:
        self.container = container
        self.started: list[dict[str, Any]] = []
        self.containers = self

    def run(self, **spec: Any) -> FakeContainer:
        self.started.append(spec)
        if self.container is None:
            raise ImageNotFound("no such image")
        return self.container


def test_run_streams_logs_and_returns_the_exit_status(tmp_path: Path) -> None:
    container = FakeContainer([b"samples graded 10/20\n", b"bundle: /outputs\n", "\u00e9\n".encode()], 0)
    client, written = FakeClient(container), list[str]()
    spec = container_spec(ContainerRun("o/m", tmp_path, tmp_path), {})
    assert run_container(client, spec, written.append) == 0
    assert "".join(written) == "samples graded 10/20\nbundle: /outputs\n\u00e9\n"
    assert client.started == [spec] and container.removed
    failing = FakeContainer([b"error: ...\n"], 2)
    assert run_container(FakeClient(failing), spec, written.append) == 2 and failing.removed


def test_ctrl_c_stops_the_container_gracefully(tmp_path: Path) -> None:
    container = FakeContainer([b"a\n", b"b\n", b"c\n"], 0, interrupt_after=1)
    written: list[str] = []
    spec = container_spec(ContainerRun("o/m", tmp_path, tmp_path), {})
    code = run_container(FakeClient(container), spec, written.append)
    assert code == 130 and container.stopped_with == 120 and container.removed
    assert "run the same command to resume" in written[-1]


def test_a_missing_image_is_one_sentence(tmp_path: Path) -> None:
    spec = container_spec(ContainerRun("o/m", tmp_path, tmp_path, image="local/suite:dev"), {})
    with pytest.raises(SuiteError, match="the image local/suite:dev is not here"):
        run_container(FakeClient(None), spec, print)


@pytest.mark.skipif(
    Path("/var/run/docker.sock").exists() or "DOCKER_HOST" in os.environ, reason="a Docker engine may answer here"
)
def test_no_engine_is_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(SuiteError, match="no Docker engine answered"):
        docker_client()  # for real: these machines have no Docker engine
    cli = run_suite("container", "eval", "org/model", "--out", str(tmp_path / "o"), "--", "--samples", "4")
    assert cli.returncode == 2 and "no Docker engine answered" in cli.stderr and "Traceback" not in cli.stderr
