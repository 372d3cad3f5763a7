"""Real LCDB curves (fixture of held-out data sets): accuracy and coverage sanity."""

from __future__ import annotations

import numpy as np
import pytest

from dataroi.curves import fit_curve


@pytest.mark.slow
def test_real_curves_beat_last1_and_cover(lcdb_curves: list) -> None:
    ae_fit, ae_last, inside = [], [], []
    for _oid, _learner, n, err in lcdb_curves[:16]:
        seen = n <= 128
        at = np.nonzero(np.isclose(n, 512))[0]
        if seen.sum() < 5 or at.size == 0:
            continue
        truth = float(np.nanmean(err[at[0]]))
        fit = fit_curve(n[seen], err[seen], higher_is_better=False, random_state=0)
        ae_fit.append(abs(fit.predict(512)[0] - truth))
        ae_last.append(abs(fit.mean_loss[-1] - truth))
        lo, hi = fit.interval(512, level=0.9)
        inside.append(lo[0] <= truth <= hi[0])
    assert len(ae_fit) >= 10
    assert np.mean(ae_fit) < np.mean(ae_last)
    assert np.mean(inside) >= 0.7
