"""The servecalc command line: every command, --help, --json and error exits."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from servecalc.cli import COMMANDS, main, register_command
from servecalc.gpus import GPUS
from servecalc.models import MODELS


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys, *argv: str):
    code, out, err = run(capsys, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


EXPECTED_COMMANDS = ["models", "gpus", "memory", "fit", "step", "latency", "cost", "simulate"]


def test_all_commands_registered() -> None:
    for name in EXPECTED_COMMANDS:
        assert name in COMMANDS


@pytest.mark.parametrize("command", EXPECTED_COMMANDS)
def test_help_on_every_command(capsys, command: str) -> None:
    code, out, _ = run(capsys, command, "--help")
    assert code == 0
    assert "--json" in out
    assert COMMANDS[command].description.split()[0] in out


def test_top_level_help_and_version(capsys) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "memory" in out and "fit" in out
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.startswith("servecalc ")


def test_models_json(capsys) -> None:
    data = run_json(capsys, "models")
    assert [d["id"] for d in data] == list(MODELS)
    llama = next(d for d in data if d["id"] == "llama-2-7b")
    assert llama["params"] == 6_738_415_616       # Hugging Face total (see test_params)
    assert isinstance(llama["params"], int)


def test_gpus_json(capsys) -> None:
    data = run_json(capsys, "gpus")
    assert [d["id"] for d in data] == list(GPUS)
    h100 = next(d for d in data if d["id"] == "h100-sxm")
    assert h100["memory_bytes"] == 85_017_493_504


def test_models_and_gpus_tables(capsys) -> None:
    code, out, _ = run(capsys, "models")
    assert code == 0 and "deepseek-v3" in out and "671.03 B" in out
    code, out, _ = run(capsys, "gpus")
    assert code == 0 and "mi300x" in out


def test_memory_json_by_hand(capsys) -> None:
    data = run_json(capsys, "memory", "--model", "llama-2-7b", "--context", "4096",
                    "--batch", "2")
    per_token = 2 * 32 * 32 * 128 * 2
    assert data["params"] == data["active_params"] == 6_738_415_616
    assert data["weight_bytes"] == 2 * 6_738_415_616
    assert data["kv_bytes_per_token"] == per_token
    assert data["kv_bytes"] == 2 * 4096 * per_token
    assert data["total_bytes"] == data["weight_bytes"] + data["kv_bytes"]
    for key in ("params", "active_params", "weight_bytes", "kv_bytes_per_token", "kv_bytes",
                "total_bytes"):
        assert isinstance(data[key], int)


def test_memory_text_uses_formatters(capsys) -> None:
    code, out, _ = run(capsys, "memory", "--model", "llama-2-7b", "--context", "4096")
    assert code == 0
    assert "6,738,415,616" in out and "2.00 GiB" in out


def test_memory_dtypes(capsys) -> None:
    data = run_json(capsys, "memory", "--model", "llama-3.1-70b", "--kv-dtype", "fp8",
                    "--weight-dtype", "fp8")
    assert data["kv_bytes_per_token"] == 80 * 2 * 8 * 128
    assert data["weight_bytes"] < 2 * data["params"]


def test_fit_json(capsys) -> None:
    data = run_json(capsys, "fit", "--model", "llama-3.1-70b", "--gpu", "h100-sxm",
                    "--gpus", "4", "--context", "8192")
    assert data["max_batch"] > 0 and data["kv_token_capacity"] > 0
    assert isinstance(data["kv_budget_bytes"], int)
    data = run_json(capsys, "fit", "--model", "llama-3.1-70b", "--gpu", "h100-sxm")
    assert data["max_batch"] == 0 and data["kv_token_capacity"] == 0
    assert "exceed" in data["reason"]


def test_fit_text(capsys) -> None:
    code, out, _ = run(capsys, "fit", "--model", "llama-3.1-8b", "--gpu", "l4")
    assert code == 0 and "GiB" in out and "max batch" in out


def test_step_json(capsys) -> None:
    data = run_json(capsys, "step", "--model", "llama-3.1-8b", "--gpu", "h100-sxm",
                    "--phase", "decode", "--batch", "8", "--context", "2048")
    for key in ("seconds", "flops", "bytes", "bound"):
        assert key in data
    assert data["seconds"] > 0 and data["bound"] in ("memory", "compute")
    data = run_json(capsys, "step", "--model", "llama-3.1-8b", "--gpu", "h100-sxm",
                    "--phase", "prefill", "--batch", "1", "--context", "4096", "--mfu", "0.5")
    assert data["bound"] == "compute"


def test_latency_json(capsys) -> None:
    data = run_json(capsys, "latency", "--model", "llama-3.1-8b", "--gpu", "h100-sxm",
                    "--prompt", "1000", "--output", "200")
    for key in ("ttft_s", "tpot_s", "e2e_s", "tokens_per_s"):
        assert data[key] > 0
    assert data["e2e_s"] > data["ttft_s"]


def test_cost_json(capsys) -> None:
    data = run_json(capsys, "cost", "--model", "llama-3.1-8b", "--gpu", "h100-sxm",
                    "--price-per-hour", "3.78", "--batch", "16", "--prompt", "512",
                    "--output", "128")
    assert data["usd_per_million_output_tokens"] > 0
    assert data["usd_per_million_input_tokens"] > 0
    doubled = run_json(capsys, "cost", "--model", "llama-3.1-8b", "--gpu", "h100-sxm",
                       "--price-per-hour", "7.56", "--batch", "16", "--prompt", "512",
                       "--output", "128")
    assert doubled["usd_per_million_output_tokens"] == pytest.approx(
        2 * data["usd_per_million_output_tokens"])


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["memory", "--model", "llama-3-70b"], "closest: 'llama-3.1-70b'"),
        (["fit", "--model", "llama-3.1-8b", "--gpu", "h100"], "'h100-sxm'"),
        (["memory", "--model", "llama-2-7b", "--context", "-5"], "context"),
        (["memory", "--model", "llama-2-7b", "--batch", "0"], "batch"),
        (["fit", "--model", "llama-3.1-8b", "--gpu", "h100-sxm", "--memory-utilization",
          "nan"], "memory_utilization"),
        (["fit", "--model", "llama-3.1-70b", "--gpu", "h100-sxm", "--gpus", "3"], "gpus"),
        (["memory", "--model", "llama-2-7b", "--weight-dtype", "int3"], "invalid choice"),
        (["memory", "--model", "llama-2-7b", "--context", "many"],
         "argument --context: context must be an integer, got 'many'"),
        (["memory"], "--model"),
        (["teleport"], "invalid choice"),
        ([], "required"),
    ],
)
def test_errors_exit_2_with_message(capsys, argv, fragment) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert fragment in err
    assert "Traceback" not in err


def test_timing_commands_share_the_deployment_options(capsys) -> None:
    # Halving the bandwidth utilisation doubles the time spent moving bytes
    # (memory time = bytes / (mbu x bandwidth)); the option is shared by every command.
    base = ["--model", "llama-3.1-70b", "--gpu", "h100-sxm", "--gpus", "4"]
    shape = ["--phase", "decode", "--batch", "8", "--context", "2048"]
    one = run_json(capsys, "step", *base, *shape, "--mbu", "0.6")
    two = run_json(capsys, "step", *base, *shape, "--mbu", "0.3")
    assert two["memory_s"] == pytest.approx(2 * one["memory_s"], rel=1e-12)
    slow = run_json(capsys, "latency", *base, "--prompt", "100", "--output", "10", "--mbu", "0.3")
    fast = run_json(capsys, "latency", *base, "--prompt", "100", "--output", "10")
    assert slow["tpot_s"] > fast["tpot_s"]
    fp8 = run_json(capsys, "step", "--model", "llama-3.1-8b", "--gpu", "h100-sxm", "--phase",
                   "prefill", "--batch", "1", "--context", "2048", "--weight-dtype", "fp8")
    assert fp8["compute_dtype"] == "fp8"
    forced = run_json(capsys, "step", "--model", "llama-3.1-8b", "--gpu", "h100-sxm", "--phase",
                      "prefill", "--batch", "1", "--context", "2048", "--weight-dtype", "fp8",
                      "--compute-dtype", "bf16")
    assert forced["compute_dtype"] == "bf16"
    code, _, err = run(capsys, "cost", *base, "--price-per-hour", "2", "--mfu", "1.5")
    assert code == 2 and "mfu must be a number in (0, 1], got 1.5" in err


def test_register_command(capsys) -> None:
    def configure(p):
        p.add_argument("--n", type=int, default=2)

    def run_it(args):
        return {"twice": 2 * args.n}, f"twice: {2 * args.n}"

    register_command("twice", help="double", description="Double a number.",
                     configure=configure, run=run_it)
    try:
        assert run_json(capsys, "twice", "--n", "21") == {"twice": 42}
    finally:
        del COMMANDS["twice"]
    with pytest.raises(ValueError):
        register_command("two words", help="", description="", configure=configure, run=run_it)


def test_python_dash_m() -> None:
    done = subprocess.run([sys.executable, "-m", "servecalc", "memory", "--model",
                           "llama-2-7b", "--json"], capture_output=True, text=True, check=False)
    assert done.returncode == 0
    assert json.loads(done.stdout)["kv_bytes_per_token"] == 524288
    done = subprocess.run([sys.executable, "-m", "servecalc", "memory", "--model", "nope"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 2 and "servecalc: error:" in done.stderr
