"""The practice page's HTML (fieldguide.practice_page): the static boxes, the worker's replies,
the printed set and its key."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest

from fieldguide.calculators import render_json
from fieldguide.practice_page import (PRINTED_VARIANTS, all_boxes, answer_key, practice_box,
                                      printed_set, render_fence)
from servecalc.practice import DEFAULT_SEED, KINDS, question


def reply(**values) -> dict:
    return json.loads(render_json("practice", json.dumps(values)))


def test_every_kind_has_a_static_box_with_its_default_question() -> None:
    page = all_boxes()
    for kind in KINDS:
        q = question(kind, DEFAULT_SEED)
        box = practice_box(kind)
        assert box in page
        assert f'data-practice="{kind}"' in box and f'data-seed="{DEFAULT_SEED}"' in box
        text = re.search(r"<p class=\"practice-text\" data-practice-text>(.*?)</p>", box).group(1)
        assert unescape(text) == q.text
        assert 'role="status"' in box and f'<label for="practice-answer-{kind}">' in box
        assert f'href="?q={kind}&amp;seed={DEFAULT_SEED}#{kind}"' in box
        assert "data-answer" not in box  # the answer comes only when asked for
    assert " style=" not in page  # the Content-Security-Policy allows no unhashed styles


def test_grade_reply_carries_verdict_and_exact_value() -> None:
    q = question("prefill", 9)
    right = reply(kind="prefill", seed="9", answer=repr(q.exact * 1.1), mode="grade")
    assert right["error"] is None
    assert 'data-correct="true"' in right["html"] and "Right: " in right["html"]
    exact = re.search(r'data-answer="([^"]+)"', right["html"]).group(1)
    assert float(exact) == q.exact
    for line in q.worked:
        assert f"<li>{line}</li>" in unescape(right["html"])
    wrong = reply(kind="prefill", seed="9", answer=repr(q.exact * 2), mode="grade")
    assert 'data-correct="false"' in wrong["html"] and "Not yet: " in wrong["html"]


def test_question_and_reveal_replies() -> None:
    q = question("cost", 123)
    asked = reply(kind="cost", seed="123", answer="", mode="question")["html"]
    assert unescape(re.search(r"data-practice-text>(.*?)</p>", asked).group(1)) == q.text
    assert "data-answer" not in asked
    shown = reply(kind="cost", seed="123", answer="", mode="reveal")["html"]
    assert f'data-answer="{q.exact!r}"' in shown and 'data-correct=""' in shown


@pytest.mark.parametrize("values, message", [
    ({"kind": "nope"}, "ValueError: kind must be one of"),
    ({"seed": "-1"}, "ValueError: seed must be a whole number from 0 to 999,999"),
    ({"seed": "1000000"}, "ValueError: seed must be a whole number from 0 to 999,999"),
    ({"mode": "grade", "answer": "lots"}, "ValueError: answer must be a number"),
    ({"mode": "grade", "answer": "1" * 41}, "ValueError: answer must be at most 40 characters"),
    ({"mode": "cheat"}, "ValueError: mode must be one of"),
    ({"code": "import os"}, "ValueError: unknown field 'code'"),
])
def test_bad_values_are_refused_with_a_message(values, message) -> None:
    out = reply(**values)
    assert out["html"] is None and out["error"].startswith(message), out["error"]


def test_printed_set_and_key() -> None:
    printed, key = printed_set(), answer_key()
    for number, kind in enumerate(KINDS, 1):
        for i in range(PRINTED_VARIANTS):
            q = question(kind, DEFAULT_SEED + i)
            assert q.text in unescape(printed)
            assert f"P{number}.{i + 1} {q.title}: {q.answer_text()}" in unescape(key)
    assert "data-answer" not in printed and "<input" not in printed
    assert render_fence("set") == printed and render_fence(" key\n") == key
    with pytest.raises(ValueError, match="a practice fence holds one of questions, set, key, got 'sets'"):
        render_fence("sets")
