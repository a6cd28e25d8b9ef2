"""servecalc.memo: an answer read back from disk is the answer computed, and nothing stale comes back."""

from __future__ import annotations

import json

import pytest

import servecalc.engines
from servecalc import memo as memo_module
from servecalc.memo import DISK_ENV, Memo
from servecalc.slo_capacity import MEMO, max_rate_under_slo

ARGS = dict(slo="mlperf-llama3.1-8b-interactive", prompt=1000, output=250, requests=500)


@pytest.fixture()
def disk(tmp_path, monkeypatch):
    monkeypatch.setenv(DISK_ENV, str(tmp_path))
    MEMO.clear()
    yield tmp_path
    MEMO.clear()


def files(folder):
    return sorted(p for p in folder.rglob("*.json"))


def test_a_capacity_read_from_disk_equals_the_one_computed(disk):
    computed = max_rate_under_slo("llama-3.1-8b", "h100-sxm", **ARGS)
    (file,) = files(disk)
    MEMO.clear()                                  # a new process: only the disk remains
    seen = []
    read = max_rate_under_slo("llama-3.1-8b", "h100-sxm", progress=seen.append, **ARGS)
    assert read == computed and read is not computed
    assert type(read.rate_interval_requests_per_s) is tuple
    assert seen == [1.0]                          # nothing left to do


def test_the_default_engine_and_the_arguments_are_part_of_the_key(disk, monkeypatch):
    a = max_rate_under_slo("llama-3.1-8b", "h100-sxm", **ARGS)
    monkeypatch.setattr(servecalc.engines, "DEFAULT_ENGINE", "ideal")
    b = max_rate_under_slo("llama-3.1-8b", "h100-sxm", **ARGS)
    c = max_rate_under_slo("llama-3.1-8b", "h100-sxm", **{**ARGS, "requests": 600})
    assert len(files(disk)) == 3
    assert a.max_rate_requests_per_s != b.max_rate_requests_per_s   # the ideal preset is faster
    assert c.requests_per_rate == 600


def test_another_package_version_never_reads_an_old_answer(disk, monkeypatch):
    memo = Memo("t", encode=lambda r: r, decode=lambda d: d)
    assert memo.get_or_compute(("k",), lambda: [1]) == [1]
    monkeypatch.setattr(memo_module, "_package_digest", "0" * 16)   # servecalc's files changed
    memo.clear()
    assert memo.get_or_compute(("k",), lambda: [2]) == [2]
    # the old version's folder went when the new version's first answer was written
    assert [p.parent.name.split("-")[0] for p in files(disk)] == ["0" * 16]


def test_a_damaged_file_is_computed_again(disk):
    memo = Memo("t", encode=lambda r: r, decode=lambda d: {"x": d["x"]})
    memo.get_or_compute(("k",), lambda: {"x": 1})
    (file,) = files(disk)
    file.write_text("{not json")
    memo.clear()
    assert memo.get_or_compute(("k",), lambda: {"x": 2}) == {"x": 2}
    assert json.loads(file.read_text()) == {"x": 2}


def test_without_the_variable_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.delenv(DISK_ENV, raising=False)
    memo = Memo("t", encode=lambda r: r, decode=lambda d: d)
    calls = []
    for _ in range(2):
        memo.get_or_compute(("k",), lambda: calls.append(1) or 5)
    assert calls == [1] and not files(tmp_path)


def test_an_engine_instance_is_not_memoised(disk):
    from servecalc.sim import Engine

    engine = Engine("llama-3.1-8b", "h100-sxm")
    max_rate_under_slo(engine, **ARGS)
    assert not files(disk)
