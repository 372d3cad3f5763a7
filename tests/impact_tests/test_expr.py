"""The safe expression engine: what it computes and what it refuses (before evaluating)."""

from __future__ import annotations

import numpy as np
import pytest

from dataroi.impact import ImpactSpecError, compile_expression, load_value_model

NAMES = {"order_value", "pred", "y", "score", "segment"}
ENV = {"order_value": np.array([10.0, 20.0, 30.0]), "pred": np.array([1, 0, 1]),
       "y": np.array([1, 1, 0]), "score": np.array([0.9, 0.2, 0.6]),
       "segment": np.array(["vip", "std", "vip"])}


@pytest.mark.parametrize(("text", "expected"), [
    ("order_value * (pred == 1) * (y == 1) - 2.5 * (pred == 1)", [7.5, 0.0, -2.5]),
    ("where(segment == 'vip', 2 * order_value, order_value)", [20.0, 20.0, 60.0]),
    ("max(order_value, 15) + min(score, 0.5)", [15.5, 20.2, 30.5]),
    ("clip(order_value, 12, 25) + abs(-1)", [13.0, 21.0, 26.0]),
    ("log(exp(order_value))", [10.0, 20.0, 30.0]),
    ("1 if True else 0", [1.0, 1.0, 1.0]),
    ("(pred == 1) and not (y == 0)", [1.0, 0.0, 0.0]),
    ("0 < score <= 0.6", [0.0, 1.0, 1.0]),
    ("order_value ** 2 // 100 % 7", [1.0, 4.0, 2.0]),
])
def test_expressions_compute_per_row(text: str, expected: list[float]) -> None:
    expr = compile_expression(text, names=NAMES)
    np.testing.assert_allclose(expr.evaluate(ENV, n_rows=3), expected)


@pytest.mark.parametrize(("text", "fragment"), [
    ("__import__('os')", "dunder names like '__import__'"),
    ("__import__('os').system('echo hacked')", "attribute access"),
    ("order_value.__class__", "attribute access"),
    ("y.real", "attribute access"),
    ("().__class__.__bases__[0]", "subscripts"),
    ("order_value['__class__']", "subscripts"),
    ("ENV['__builtins__']", "subscripts"),
    ("(lambda: 1)()", "lambda"),
    ("lambda x: x", "lambda"),
    ("[x for x in y]", "comprehensions"),
    ("sum(x for x in y)", "function 'sum' is not allowed"),
    ("abs(x for x in y)", "comprehensions"),
    ("{k: 1 for k in y}", "comprehensions"),
    ("open('/etc/passwd')", "function 'open' is not allowed"),
    ("eval('1')", "function 'eval' is not allowed"),
    ("__builtins__", "dunder names"),
    ("unknown_col * 2", "unknown name 'unknown_col'"),
    ("(x := 3)", "assignment"),
    ("f'{y}'", "f-strings"),
    ("order_value +", "syntax error"),
    ("abs(order_value, 1)", "abs() takes 1 arguments"),
    ("clip(x=1)", "keyword arguments"),
    ("y in [1, 2]", "comparison In"),
    ("abs([1, 2])", "lists"),
    ("y is None", "comparison Is"),
    ("'__class__' == y", "dunder strings"),
])
def test_forbidden_constructs_are_refused_with_a_clear_one_line_error(
        text: str, fragment: str) -> None:
    with pytest.raises(ImpactSpecError) as info:
        compile_expression(text, names=NAMES)
    message = str(info.value)
    assert fragment in message
    assert "\n" not in message
    assert info.value.exit_code == 2


def test_value_model_rejects_forbidden_construct_at_load_time() -> None:
    with pytest.raises(ImpactSpecError, match="attribute access"):
        load_value_model({"expression": "y.__class__"})


def test_value_model_reports_every_problem_with_field_paths() -> None:
    with pytest.raises(ImpactSpecError) as info:
        load_value_model({"payoff": {0: {0: 0, 1: "nope"}, 1: {0: "x", 1: True}},
                          "terms": {"y": 1, "ok": "a"}, "volume": {"rows_per_period": -1},
                          "colour": 1})
    text = str(info.value)
    for part in ("payoff.0.1: unknown term 'nope'", "payoff.1.1: must be a finite number",
                 "terms.y: 'y' is reserved", "terms.ok: must be a finite number",
                 "volume.rows_per_period", "colour: unknown field"):
        assert part in text


def test_columns_with_spaces_are_reachable_by_identifier() -> None:
    vm = load_value_model({"expression": "mean_radius * (pred == 1)"})
    expr = vm.compiled(["mean radius", "y"])
    assert expr.names == {"mean_radius", "pred"}
