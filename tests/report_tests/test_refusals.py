"""The bad-input catalogue of ``dataroi report``: every case is one clear ``error:`` line,
exit 2, no traceback and no file written — neither a report nor a byte of the ledger
(``tests/cli_tests/_refusals.py``).

Cases with ``study=True`` start from a copy of the finished iris study (``study.yaml``
and its ledger in ``.dataroi/``); the others from an empty folder and the files they name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.cli_tests._refusals import Refusal, check_refusal
from tests.report_tests._studies import FULL_SPEC

S = "study.yaml"


def study(case_id: str, message: str, *argv: str, files: dict[str, Any] | None = None
          ) -> Refusal:
    """``dataroi report study.yaml ARGV...`` on a copy of the finished study."""
    return Refusal(case_id, ("report", S, *argv), message, files=files or {}, study=True)


def _trials(path: Path) -> None:
    rows = ["model,n_train,repeat,metric,value"]
    rows += [f"lr,{n},{r},accuracy,{0.9 - 1.5 / n ** 0.5 + 0.002 * r:.4f}"
             for n in (25, 50, 100, 200) for r in range(3)]
    path.write_text("\n".join(rows) + "\n")


CASES: list[Refusal] = [
    # -- which study ----------------------------------------------------------------------
    Refusal("no-study", ("report",), r"name a study spec, or a table of trials with --trials"),
    Refusal("unknown-study", ("report", "nosuch.yaml"), r"spec file not found: nosuch\.yaml"),
    Refusal("spec-is-a-folder", ("report", "specs"), r"spec path is a directory, not a file: "
            r"specs", files={"specs/keep.txt": "x"}),
    Refusal("spec-garbled", ("report", "bad.yaml"), r"invalid study spec \(bad\.yaml\): YAML "
            r"syntax error at line \d+", files={"bad.yaml": "name: [unclosed\n"}),
    Refusal("spec-not-run", ("report", "fresh.yaml"), r"no finished trials to analyze; run the "
            r"study first \(`dataroi run SPEC`\): .*ledger\.db does not exist",
            files={"fresh.yaml": dict(FULL_SPEC, name="fresh")}),
    study("ledger-missing", r"no finished trials to analyze; run the study first .*nosuch\.db "
          r"does not exist \(no dataroi ledger there\)", "--ledger", "nosuch.db"),
    study("ledger-folder-missing", r"argument --ledger: the folder of nodir/l\.db does not "
          r"exist; create it first", "--ledger", "nodir/l.db"),
    study("ledger-not-a-ledger", r"notes\.db is not a dataroi ledger \(not an SQLite "
          r"database\)", "--ledger", "notes.db", files={"notes.db": "plain text\n" * 40}),
    # -- where the report goes ------------------------------------------------------------
    study("output-unknown-suffix", r"cannot tell the report format from the file name r\.exe "
          r"\('\.exe'\): end it in \.html, \.md or \.json, or give --format", "-o", "r.exe"),
    study("output-folder-missing", r"-o nodir/r\.html: the folder nodir does not exist; create "
          r"it first \(mkdir -p nodir\)", "-o", "nodir/r.html"),
    study("output-is-a-folder", r"-o \.dataroi is a folder; name a file in it, e\.g\. -o "
          r"\.dataroi/report\.html", "-o", ".dataroi"),
    study("output-ends-in-slash", r"-o out\.html/ is a folder; name a file in it",
          "-o", "out.html/"),
    study("output-under-a-file", r"-o study\.yaml/r\.html: study\.yaml is a file, not a folder",
          "-o", "study.yaml/r.html"),
    study("output-empty-name", r"-o needs a file name, e\.g\. -o report\.html", "-o", ""),
    study("default-output-is-a-folder", r"-o report\.html is a folder; name a file in it",
          files={"report.html/keep.txt": "x"}),
    study("suffix-and-format-disagree", r"r\.md ends in \.md but the format asked for is html: "
          r"make them agree", "-o", "r.md", "--format", "html"),
    study("format-unknown", r"argument --format: invalid choice: 'pdf' \(choose from 'html', "
          r"'md', 'json'\)", "--format", "pdf"),
    study("json-with-output", r"--json prints the JSON document; it goes without --format and "
          r"-o \(write a file with -o report\.json\)", "--json", "-o", "r.json"),
    study("json-with-format", r"--json prints the JSON document; it goes without --format",
          "--json", "--format", "md"),
    # -- flags --------------------------------------------------------------------------
    study("unknown-flag", r"unrecognized arguments: --pdf", "--pdf"),
    study("draws-too-few", r"argument --draws: must be an integer from 100 to 100,000, got 5",
          "--draws", "5"),
    study("draws-text", r"argument --draws: must be an integer, got 'lots'", "--draws", "lots"),
    study("draws-huge", r"argument --draws: must be an integer from 100 to 100,000, got "
          r"10,000,000", "--draws", "10000000"),
    study("metric-unknown", r"metric 'f1' is not one of the study's metrics \(accuracy, "
          r"log_loss\)", "--metric", "f1"),
    study("curves-unknown", r"argument --curves: invalid choice: 'magic'", "--curves", "magic"),
    # -- a table of trials instead of a study ---------------------------------------------
    study("spec-and-trials", r"give a spec or --trials, not both", "--trials", "t.csv",
          files={"t.csv": _trials}),
    study("costs-without-trials", r"--costs goes with --trials \(a study's costs are in its "
          r"spec\)", "--costs", "c.yaml", files={"c.yaml": {"costs": {}}}),
    Refusal("trials-missing", ("report", "--trials", "nosuch.csv"),
            r"trials file not found: nosuch\.csv"),
    Refusal("trials-not-a-table-of-trials", ("report", "--trials", "t.csv"),
            r"t\.csv is not a table of trials: it lacks the columns model, n_train, metric, "
            r"value", files={"t.csv": "a,b\n1,2\n"}),
    Refusal("trials-metric-unknown", ("report", "--trials", "t.csv", "--metric", "f1"),
            r"metric 'f1' is not in the table of trials \(its metrics: accuracy\)",
            files={"t.csv": _trials}),
    Refusal("costs-file-missing", ("report", "--trials", "t.csv", "--costs", "nosuch.yaml"),
            r"costs file not found: nosuch\.yaml", files={"t.csv": _trials}),
    Refusal("costs-file-unknown-section", ("report", "--trials", "t.csv", "--costs", "c.yaml"),
            r"c\.yaml: unknown section\(s\) budget; a costs file holds costs: and decision:",
            files={"t.csv": _trials, "c.yaml": {"costs": {}, "budget": 5}}),
    Refusal("costs-file-bad-value", ("report", "--trials", "t.csv", "--costs", "c.yaml"),
            r"invalid costs file \(c\.yaml\): costs\.price_per_label_usd: must be a number "
            r">= 0, got -1", files={"t.csv": _trials,
                                    "c.yaml": {"costs": {"price_per_label_usd": -1}}}),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_report_refuses_bad_input_cleanly(case: Refusal, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch,
                                          full_study: tuple[Any, Path]) -> None:
    monkeypatch.delenv("DATAROI_LEDGER", raising=False)
    check_refusal(case, tmp_path, capsys, monkeypatch, study_folder=full_study[1].parent)


def test_the_catalogue_is_large_and_its_ids_unique() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))
    assert len(ids) >= 12
