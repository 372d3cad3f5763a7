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


# -- limits: nesting, huge numbers, text where a number is needed ----------------------
TEXT_ENV = {"region": np.array(["north", "south", "east", "north"], dtype=object),
            "y": np.array(["yes", "no", "yes", "no"], dtype=object),
            "order_value": np.array([10.0, 20.0, 30.0, 40.0])}


@pytest.mark.parametrize(("text", "fragment"), [
    ("-" * 3000 + "1", "nested too deeply to read"),
    ("abs(" * 61 + "order_value" + ")" * 61, "nested more than 60 levels deep"),
    ("-" * 62 + "1", "nested more than 60 levels deep"),
    ("1" * 401, "the number 11111111... (401 digits) is too large"),
    ("1e999 * order_value", "the number inf is too large"),
    ("log('a')", "log() needs numbers, not the string 'a'"),
    ("'a' * 1000000000", "arithmetic (+ - * / // % **) needs numbers, not the string 'a'"),
    ("-'a'", "the operator '-' needs numbers, not the string 'a'"),
    ("'a' and y", "and/or needs numbers"),
    ("'abc'", "the expression gives text (the string 'abc')"),
    ("'a' < 1", "the string 'a' is compared with a number"),
    ("order_value\x00", "source code string cannot contain null bytes"),
])
def test_limits_and_text_misuse_are_refused_before_anything_is_evaluated(
        text: str, fragment: str) -> None:
    with pytest.raises(ImpactSpecError) as info:
        compile_expression(text, names=NAMES)
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(("text", "fragment"), [
    ("(region > 1) * order_value",
     "region is text ('east', 'north', 'south'); compare it with a string, e.g. "
     "region == 'north' (column 2)"),
    ("5 * (y == 1)", "y is text ('no', 'yes'); compare it with a string, e.g. y == 'yes'"),
    ("1 == region", "region is text ('east', 'north', 'south'); compare it with a string"),
    ("region * 2", "region is text ('east', 'north', 'south'), but arithmetic"),
    ("log(region)", "region is text ('east', 'north', 'south'), but log() needs numbers"),
    ("(order_value == 'big') * 1",
     "order_value is numeric (e.g. 10, 20, 30); compare it with a number, not with the "
     "string 'big'"),
])
def test_text_columns_used_as_numbers_name_the_column_its_kind_and_examples(
        text: str, fragment: str) -> None:
    expr = compile_expression(text, names=set(TEXT_ENV))  # columns' kinds are not known yet
    with pytest.raises(ImpactSpecError) as info:
        expr.evaluate(TEXT_ENV, n_rows=4)
    assert fragment in str(info.value)
    assert "\n" not in str(info.value) and info.value.exit_code == 2


def test_text_compared_with_text_still_works() -> None:
    expr = compile_expression("order_value * (region == 'north') + (y != 'yes')",
                              names=set(TEXT_ENV))
    assert expr.evaluate(TEXT_ENV, n_rows=4).tolist() == [10.0, 1.0, 0.0, 41.0]


@pytest.mark.parametrize("n_terms", [62, 200, 1999])
def test_a_flat_chain_of_one_operator_is_not_nesting(n_terms: int) -> None:
    """`a + a + ... + a` is one level however long (up to the character limit), and
    evaluates without Python recursion (1999 terms is past the default recursion limit)."""
    text = "+".join(["order_value"] * n_terms) if n_terms < 300 else "+".join(["y"] * n_terms)
    expr = compile_expression(text, names=NAMES)
    got = expr.evaluate(ENV, n_rows=3)
    column = ENV["order_value"] if n_terms < 300 else ENV["y"]
    np.testing.assert_allclose(got, n_terms * column)


def test_flat_chains_keep_left_to_right_order_and_power_stays_right_associative() -> None:
    for text, expected in (("100 - 10 - 5 + 1", 86.0), ("100 / 10 / 5 * 3", 6.0),
                           ("17 // 5 % 2 * 10", 10.0), ("2 ** 3 ** 2", 512.0),
                           ("1 + 2 * 3 - 4 / 2", 5.0)):
        assert compile_expression(text, names=NAMES).evaluate(ENV, n_rows=3).tolist() == \
            [expected] * 3, text
    product = "*".join(["(order_value / order_value + 0)"] * 110)  # flat at both levels
    assert compile_expression(product, names=NAMES).evaluate(ENV, n_rows=3).tolist() == \
        [1.0] * 3


def test_a_value_model_reads_text_targets_with_strings() -> None:
    vm = load_value_model({"expression": "10 * (y == 1)"})
    with pytest.raises(ImpactSpecError, match=r"y is text \('no', 'yes'\)"):
        vm.row_values({}, y=np.array(["yes", "no"], dtype=object),
                      pred=np.array(["yes", "yes"], dtype=object))
    ok = load_value_model({"expression": "10 * (y == 'yes') * (pred == 'yes')"})
    assert ok.row_values({}, y=np.array(["yes", "no"], dtype=object),
                         pred=np.array(["yes", "yes"], dtype=object)).tolist() == [10.0, 0.0]
