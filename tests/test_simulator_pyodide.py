"""Same seed, same simulation, bit for bit: CPython here and Pyodide (Python 3.14) on Node.

The simulations run from the wheel the site serves (built as in
tests/test_pyodide_doctests.py) and their JSON results, timelines included,
must be identical strings.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from fieldguide.build.wheels import build_wheel
from tests.test_pyodide_doctests import ROOT

pytestmark = pytest.mark.pyodide

# Policies, length distributions (log-normal draws use exp and log), tensor
# parallelism, fp8 weights, a mixture of experts (its weight reads use a power)
# and a small KV pool that forces preemption.
CASES = """
import json
from servecalc.sim import Choice, Engine, LogNormal, Uniform, poisson_workload, saturation_rate, simulate

def cases():
    out = []
    base = Engine("llama-3.1-8b", "h100-sxm")
    work = poisson_workload(18.0, 400, prompt=Uniform(64, 2048),
                            output=LogNormal(200, 1.0, high=2000), seed=11)
    for policy in ("static", "continuous", "chunked"):
        out.append(simulate(base, work, policy=policy, chart_points=40).to_dict(timeline=True))
    small = Engine("llama-3.1-8b", "h100-sxm", max_batch=32, kv_blocks=300)
    work = poisson_workload(40.0, 300, prompt=Choice((128, 512, 1024)), output=Uniform(16, 600),
                            seed=3)
    out.append(simulate(small, work, policy="continuous", chart_points=20).to_dict(timeline=True))
    out.append(simulate(small, work, policy="chunked", chart_points=20).to_dict(timeline=True))
    tp = Engine("llama-3.1-70b", "h100-sxm", gpus=4, weight_dtype="fp8")
    work = poisson_workload(3.0, 200, prompt=1024, output="lognormal:300,0.7", seed=5)
    out.append(simulate(tp, work, policy="chunked", chart_points=20).to_dict(timeline=True))
    moe = Engine("mixtral-8x7b", "h100-sxm", gpus=2)
    work = poisson_workload(6.0, 200, prompt=Uniform(100, 3000), output=Uniform(8, 400), seed=8)
    out.append(simulate(moe, work, policy="continuous", chart_points=20).to_dict(timeline=True))
    one = Engine("llama-3.1-8b", "h100-sxm", max_batch=1)
    work = poisson_workload(8.0, 2000, prompt=512, output=64, seed=0)
    out.append(simulate(one, work, chart_points=20).to_dict(timeline=True))
    out.append({"capacity": saturation_rate(base, policy="continuous", prompt=512,
                                            output=Uniform(16, 512))})
    # disaggregated pools (random dispatch) with drawn thinking lengths (issue 20)
    from servecalc.sim.disagg import simulate_disagg
    from servecalc.sim.reasoning import answer_times, with_thinking
    work, thinking = with_thinking(poisson_workload(12.0, 300, prompt=Uniform(500, 6000),
                                                    output=200, seed=2), "lognormal:800,1.0",
                                   seed=2)
    d = simulate_disagg(base, base, work, prefill_replicas=3, decode_replicas=2)
    out.append(d.to_dict() | {"ttfat": answer_times(d.arrivals, d.first_token_s, d.finish_s,
                                                     work.outputs, thinking)})
    # prefix caching on the shipped trace, and a routed fleet of multi-turn chats (issue 20)
    from servecalc.sim.fleet import simulate_fleet
    from servecalc.sim.sessions import chat_workload
    from servecalc.sim.traces import trace_workload
    mooncake = trace_workload("mooncake-conv-2025", requests=150, start=500)
    out.append(simulate(base, mooncake, chart_points=20).to_dict(timeline=True))
    chats = chat_workload(10.0, 300, turns=5, prompt=Uniform(50, 400), output=Uniform(20, 300),
                          shared_prefix=300, seed=2)
    for router in ("round-robin", "least-loaded", "prefix-aware"):
        out.append(simulate_fleet(base, chats, replicas=3, router=router).to_dict())
    return json.dumps(out)
"""

NODE_SCRIPT = """
import {{ loadPyodide }} from {pyodide};
import {{ readFileSync }} from "node:fs";
const pyodide = await loadPyodide();
pyodide.FS.writeFile("/tmp/{name}", readFileSync({wheel}));
pyodide.runPython(`
import sysconfig, zipfile
zipfile.ZipFile("/tmp/{name}").extractall(sysconfig.get_paths()["purelib"])
`);
pyodide.runPython({cases});
const out = pyodide.runPython("import sys; sys.version.split()[0] + '|' + cases()");
process.stdout.write(out);
"""


def cpython_results() -> str:
    namespace: dict = {}
    exec(CASES, namespace)
    return namespace["cases"]()


def test_simulations_identical_in_cpython_and_pyodide(tmp_path):
    assert shutil.which("node"), "node is required (Node 20)"
    wheel = build_wheel(ROOT, tmp_path / "wheel")
    script = tmp_path / "run.mjs"
    script.write_text(NODE_SCRIPT.format(
        pyodide=json.dumps((ROOT / "node_modules" / "pyodide" / "pyodide.mjs").as_uri()),
        wheel=json.dumps(str(wheel)),
        name=wheel.name,
        cases=json.dumps(CASES),
    ))
    proc = subprocess.run(["node", str(script)], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    version, _, pyodide_json = proc.stdout.partition("|")
    assert version.startswith("3.14")
    expected = cpython_results()
    if pyodide_json != expected:
        ours, theirs = json.loads(expected), json.loads(pyodide_json)
        for index, (a, b) in enumerate(zip(ours, theirs)):
            for key in a:
                assert a[key] == b.get(key), f"case {index}, {key}: CPython {a[key]!r} != Pyodide {b.get(key)!r}"
    assert pyodide_json == expected
