"""`python -m model.score`: one output line per input line, in order, bad lines as error objects."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(stdin: str, *args: str, model=None):
    cmd = [sys.executable, "-m", "model.score", *args]
    if model is not None:
        cmd += ["--model", str(model)]
    return subprocess.run(cmd, input=stdin, capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_good_and_bad_lines_keep_their_order(tiny_artifacts):
    lines = [
        json.dumps({"id": 7, "text": "shut up you moron"}),
        "",
        "{not json",
        json.dumps({"comment": "Earn $500 a day from home, visit www.cash1.biz"}),
        json.dumps(["a list"]),
        json.dumps({"id": "x", "text": 42}),
        json.dumps({"text": "Great article"}),
    ]
    result = run("\n".join(lines) + "\n", model=tiny_artifacts)
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == len(lines)
    assert out[0]["id"] == 7 and out[0]["abuse"] > 0.5
    assert out[1] == {"error": "blank line", "line": 2}
    assert out[2]["line"] == 3 and out[2]["error"].startswith("not JSON")
    assert out[3]["spam"] > 0.5
    assert out[4]["error"] == "expected a JSON object"
    assert out[5]["id"] == "x" and "string" in out[5]["error"]
    assert out[6]["spam"] < 0.5 and out[6]["abuse"] < 0.5


def test_explain_adds_reasons(tiny_artifacts):
    result = run(json.dumps({"text": "shut up you moron"}) + "\n", "--explain", model=tiny_artifacts)
    out = json.loads(result.stdout)
    assert {"spam", "abuse", "reasons"} <= out.keys()
    assert out["reasons"]["abuse"][0]["weight"] > 0


def test_an_unverifiable_model_is_a_clear_error_not_a_traceback(tmp_path):
    result = run("{}\n", model=tmp_path)
    assert result.returncode == 2
    assert "error: no current model" in result.stderr and "Traceback" not in result.stderr
