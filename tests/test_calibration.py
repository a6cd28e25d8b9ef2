"""Calibration: fitting MBU, MFU and per-step overhead, the file formats, the CLI."""

from __future__ import annotations

import dataclasses
import json

import pytest

from servecalc.calibration import (
    BOUNDS,
    Calibration,
    calibrate,
    load_calibration,
    measurement,
    read_measurements,
)
from servecalc.cli import main
from servecalc.deployment import Deployment
from servecalc.step import DEFAULT_MBU, StepModel

TRUTH = Calibration(mbu=0.55, mfu=0.62, overhead_s=0.0012)
SHAPES = [("decode", 1, 1024), ("decode", 192, 2048), ("prefill", 1, 8192)]
HELD_OUT = [("decode", 8, 4096), ("decode", 64, 512), ("prefill", 4, 1024), ("decode", 32, 8192)]


def timed(shapes, truth=TRUTH, model="llama-3.1-8b", gpu="h100-sxm"):
    """Steps 'measured' on a stack that behaves like ``truth`` (an independent answer)."""
    points = [measurement(model=model, gpu=gpu, phase=ph, batch=b, context=t, seconds=1.0)
              for ph, b, t in shapes]
    return [dataclasses.replace(p, seconds=p.predict_s(truth)) for p in points]


def test_three_points_recover_the_parameters_and_predict_the_rest():
    cal = calibrate(timed(SHAPES))
    assert cal.mbu == pytest.approx(TRUTH.mbu, rel=0.01)
    assert cal.mfu == pytest.approx(TRUTH.mfu, rel=0.01)
    assert cal.overhead_s == pytest.approx(TRUTH.overhead_s, abs=5e-5)
    for p in timed(HELD_OUT):
        assert p.predict_s(cal) == pytest.approx(p.seconds, rel=0.01)
        # ...where the defaults were off by more than 10 %.
    assert max(abs(p.predict_s() / p.seconds - 1) for p in timed(HELD_OUT)) > 0.10


def test_decode_points_alone_leave_mfu_at_its_default():
    cal = calibrate(timed([("decode", 1, 1024), ("decode", 4, 2048)]))
    from servecalc.step import DEFAULT_MFU
    assert cal.mfu == pytest.approx(DEFAULT_MFU, rel=0.02)
    assert cal.mbu != DEFAULT_MBU


def test_fitted_values_stay_in_bounds():
    # A step measured 50 times slower than any sane efficiency allows.
    slow = [dataclasses.replace(p, seconds=50 * p.seconds) for p in timed(SHAPES)]
    cal = calibrate(slow)
    for name, (low, high) in BOUNDS.items():
        assert low <= getattr(cal, name) <= high


def test_calibration_reaches_the_step_model_through_the_deployment():
    d = Deployment(model="llama-3.1-8b", gpu="h100-sxm", calibration=TRUTH)
    sm = StepModel(d)
    assert (sm.mbu, sm.mfu, sm.overhead_s) == (0.55, 0.62, 0.0012)
    # An explicit value on the deployment wins over the calibration.
    assert StepModel(d.replace(mbu=0.9)).mbu == 0.9
    with pytest.raises(ValueError, match="calibration must be"):
        Deployment(model="llama-3.1-8b", gpu="h100-sxm", calibration={"mbu": 0.5})


def test_json_round_trip_and_bad_calibrations():
    cal = calibrate(timed(SHAPES))
    assert load_calibration(json.dumps(cal.to_dict())) == cal
    with pytest.raises(ValueError, match="not valid JSON"):
        load_calibration("{mbu: 1}", name="c.json")
    with pytest.raises(ValueError, match=r"mbu must be a number in \[0.05, 1.0\], got 1.7"):
        load_calibration('{"parameters": {"mbu": 1.7, "mfu": 0.5, "overhead_s": 0}}')
    with pytest.raises(ValueError, match="'parameters' object"):
        load_calibration("[1, 2]")


@pytest.mark.parametrize("text, fragment", [
    ("", "no measurements"),
    ("not json", "line 1 is not valid JSON"),
    ('[1]', "line 1: must be a JSON object"),
    ('{"model": "llama-3.1-8b", "gpu": "h100-sxm", "phase": "decode", "batch": 1, '
     '"context": 8}', "line 1: missing seconds"),
    ('{"model": "llama-3.1-8b", "gpu": "h100-sxm", "phase": "decode", "batch": 1, '
     '"context": 8, "seconds": 0.01, "sec": 1}', "unknown field 'sec'"),
    ('\n{"model": "llama-3.1-8b", "gpu": "h100", "phase": "decode", "batch": 1, '
     '"context": 8, "seconds": 0.01}', "line 2: gpu 'h100' is not in the catalog"),
    ('{"model": "llama-3.1-8b", "gpu": "h100-sxm", "phase": "verify", "batch": 1, '
     '"context": 8, "seconds": 0.01}', "phase must be one of"),
    ('{"model": "llama-3.1-8b", "gpu": "h100-sxm", "phase": "decode", "batch": 1, '
     '"context": 8, "seconds": -1}', "seconds must be a finite number > 0"),
])
def test_bad_measurement_files_name_the_line(text, fragment):
    with pytest.raises(ValueError) as info:
        read_measurements(text, name="m.jsonl")
    assert fragment in str(info.value)


def _write_points(path, points):
    path.write_text("".join(json.dumps(dataclasses.asdict(p)) + "\n" for p in points))


def test_cli_calibrate_then_use_the_calibration(tmp_path, capsys):
    measured = tmp_path / "steps.jsonl"
    _write_points(measured, timed(SHAPES))
    assert main(["calibrate", "--measurements", str(measured), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["parameters"]["mbu"] == pytest.approx(0.55, rel=0.01)
    assert len(out["points"]) == 3 and abs(out["points"][0]["rel_error"]) < 0.01
    cal_file = tmp_path / "cal.json"
    cal_file.write_text(json.dumps(out))
    args = ["step", "--model", "llama-3.1-8b", "--gpu", "h100-sxm", "--phase", "decode",
            "--batch", "8", "--context", "4096", "--json"]
    assert main(args + ["--calibration", str(cal_file)]) == 0
    calibrated = json.loads(capsys.readouterr().out)
    expected = timed([("decode", 8, 4096)])[0].seconds
    assert calibrated["seconds"] == pytest.approx(expected, rel=0.01)
    for command in (["latency", "--prompt", "100", "--output", "10"],
                    ["cost", "--price-per-hour", "2"],
                    ["simulate", "--rate", "1", "--requests", "5"]):
        assert main([command[0], "--model", "llama-3.1-8b", "--gpu", "h100-sxm", *command[1:],
                     "--calibration", str(cal_file)]) == 0
    capsys.readouterr()


@pytest.mark.parametrize("content, fragment", [
    (None, "cannot be read"),
    ("{", "not valid JSON"),
    ('{"parameters": {"mbu": 0.5}}', "missing mfu, overhead_s"),
])
def test_cli_bad_calibration_files_exit_2(tmp_path, capsys, content, fragment):
    path = tmp_path / "cal.json"
    if content is not None:
        path.write_text(content)
    code = main(["latency", "--model", "llama-3.1-8b", "--gpu", "h100-sxm", "--prompt", "10",
                 "--output", "5", "--calibration", str(path)])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and fragment in err and err.count("\n") == 1


def test_cli_bad_measurement_file_exits_2(tmp_path, capsys):
    path = tmp_path / "m.jsonl"
    path.write_text('{"model": "llama-3.1-8b"}\n')
    assert main(["calibrate", "--measurements", str(path)]) == 2
    assert "line 1: missing gpu, phase, batch, context, seconds" in capsys.readouterr().err


def test_calculators_take_a_pasted_calibration():
    from fieldguide.calculators import render

    pasted = json.dumps(calibrate(timed(SHAPES)).to_dict())
    base = {"model": "llama-3.1-8b", "gpu": "h100-sxm", "gpus": "1", "prompt": "1024",
            "output": "256", "batch": "16"}
    plain = render("latency", base)
    calibrated = render("latency", {**base, "calibration": pasted})
    assert "Calibrated: MBU 0.550, MFU 0.620, overhead 1.200 ms per step" in calibrated
    assert calibrated != plain
    # The same values typed into the fields (as the link keeps them) give the same numbers.
    typed = render("latency", {**base, "mbu": "0.55", "mfu": "0.62", "overhead_ms": "1.2"})
    strip = lambda html: html.split("Calibrated:")[0]  # noqa: E731
    assert strip(calibrated).split("<table")[0] == typed.split("<table")[0]
    assert "Calibrated:" in render("roofline", {"model": "llama-3.1-8b", "gpu": "h100-sxm",
                                                "calibration": pasted})


def test_calculator_rejects_a_bad_calibration():
    from fieldguide.calculators import render

    with pytest.raises(ValueError, match="calibration is not valid JSON"):
        render("latency", {"model": "llama-3.1-8b", "gpu": "h100-sxm", "calibration": "{"})
