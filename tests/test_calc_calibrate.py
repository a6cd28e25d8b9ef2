"""The calibration and compare calculators: the CLI's numbers, in the browser's form."""

from __future__ import annotations

import html
import json
import re

import pytest

from fieldguide.calc_calibrate import (KIPPLY_STEPS, compare_calc, example_measurements,
                                       example_vllm_result)
from fieldguide.calculators import get_calculator, render, render_form_html, render_json
from fieldguide.forms import parse_values
from fieldguide.validation.measured import MEASURED
from servecalc.calibration import calibrate, load_calibration, read_measurements
from servecalc.cli.calibrate import point_rows, summary_rows
from servecalc.cli.compare import metric_rows
from servecalc.compare import compare_vllm
from servecalc.deployment import Deployment
from servecalc.vllm_result import read_vllm_result
from tests.test_compare import EXAMPLE


def cells(result_html: str) -> list[list[str]]:
    """The text of every table row of a result (header rows included)."""
    rows = re.findall(r"<tr>(.*?)</tr>", result_html)
    return [[html.unescape(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r)] for r in rows]


def copied_json(result_html: str) -> dict:
    box = re.search(r'<textarea class="calc-copy"[^>]*>(.*?)</textarea>', result_html, re.S)
    return json.loads(html.unescape(box.group(1)))


def test_the_example_steps_are_the_validation_cases_shapes_and_times(monkeypatch):
    # Each line must be the same step as its validation case: the library's time for
    # the line equals the case's computed value, and the line's time is the published one.
    # (The measured cases run the ideal preset: so do the lines here.)
    import servecalc.engines

    monkeypatch.setattr(servecalc.engines, "DEFAULT_ENGINE", "ideal")
    cases = {c.id: c for c in MEASURED}
    points = read_measurements(example_measurements())
    assert len(points) == len(KIPPLY_STEPS) == 4
    for point, case_id in zip(points, KIPPLY_STEPS):
        case = cases[case_id]
        assert point.seconds * 1000 == pytest.approx(case.published_value, rel=1e-12)
        assert point.predict_s() * 1000 == pytest.approx(case.compute(None), rel=1e-12)


def test_calibration_shows_what_the_cli_prints_and_the_json_it_writes():
    result = render("calibration", {})
    cal = calibrate(read_measurements(example_measurements()))
    rows = cells(result)
    assert [tuple(r) for r in rows[:4]] == summary_rows(cal)
    assert rows[5:] == point_rows(cal)
    assert copied_json(result) == json.loads(json.dumps(cal.to_dict()))


def test_the_copied_calibration_pastes_into_the_latency_calculator():
    pasted = json.dumps(copied_json(render("calibration", {})))
    cal = load_calibration(pasted)
    shown = render("latency", {"model": "llama-3.1-8b", "gpu": "h100-sxm", "gpus": "1",
                               "calibration": pasted})
    assert f"MBU {cal.mbu:.3f}, MFU {cal.mfu:.3f}" in html.unescape(shown)


def test_compare_shows_the_cli_rows_with_and_without_a_calibration():
    result = read_vllm_result(EXAMPLE.read_text(encoding="utf-8"))
    assert example_vllm_result() == EXAMPLE.read_text(encoding="utf-8")
    plain = compare_vllm(result, Deployment(model="llama-3.1-8b", gpu="h100-sxm"))
    assert cells(render("compare", {}))[1:] == metric_rows(plain)

    pasted = render("calibration", {})
    cal_text = json.dumps(copied_json(pasted))
    calibrated = compare_vllm(result, Deployment(model="llama-3.1-8b", gpu="h100-sxm",
                                                 calibration=load_calibration(cal_text)))
    shown = cells(render("compare", {"calibration": cal_text}))[1:]
    assert shown == metric_rows(calibrated) and shown != metric_rows(plain)


def test_compare_reports_progress_to_the_end():
    seen = []
    compare_calc(progress=seen.append, **parse_values(get_calculator("compare").fields, {}))
    assert seen and seen[-1] == 1.0


@pytest.mark.parametrize(("name", "raw", "fragment"), [
    ("calibration", {"measurements": "not json"}, "measurements line 1"),
    ("calibration", {"measurements": ""}, "measurements"),
    ("calibration", {"measurements": '{"model": "x", "gpu": "h100-sxm", "phase": "decode", '
                                     '"batch": 1, "context": 8, "seconds": 0.01}'},
     "measurements line 1: "),
    ("compare", {"vllm_result": "{"}, "vllm_result"),
    ("compare", {"vllm_result": '{"request_rate": 1}'}, "vllm_result: needs input_lens"),
    ("compare", {"vllm_result": "x" * 10_000_001}, "vllm_result must be at most 10,000,000"),
    ("compare", {"calibration": "{}"}, "calibration"),
])
def test_bad_input_names_the_field_and_the_page_keeps_working(name, raw, fragment):
    with pytest.raises(ValueError, match=re.escape(fragment)):
        render(name, raw)
    reply = json.loads(render_json(name, json.dumps(raw)))
    assert reply["html"] is None and fragment in reply["error"]
    assert json.loads(render_json(name, "{}"))["error"] is None


def test_pasted_text_fields_offer_a_file_picker():
    form = render_form_html("calibration")
    assert '<textarea name="measurements"' in form and 'class="calc-field calc-field--text"' in form
    assert 'type="file" accept=".jsonl,.json,.txt" data-upload-for="measurements"' in form


def test_file_pickers_carry_the_library_limit():
    """The page reads a file's size against the same limit as the library (issue 24)."""
    from servecalc.validate import MAX_JSON_CHARS

    for name in ("calibration", "compare"):
        form = render_form_html(name)
        assert form.count("data-upload-for=") == form.count(f'data-max-bytes="{MAX_JSON_CHARS}"')
        assert form.count("data-upload-for=") >= 1
