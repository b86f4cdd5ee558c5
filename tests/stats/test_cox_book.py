"""Closed-form Cox results from the appendix of Therneau & Grambsch (2000), as checked by R.

The formulas are the hand calculations in Therneau & Grambsch, *Modeling Survival Data*,
appendix E (data sets 1 and 2; the weighted data set of section 1.3 of Therneau's appendix),
which R survival verifies in tests/book1.R ... book7.R and tests/zph.R (therneau/survival,
commit a2533a9).  Here they are re-derived as plain algebra in r = exp(beta).
"""

from __future__ import annotations

import numpy as np
import pytest

from cnsrwe.stats.cox import cox_ph
from cnsrwe.stats.cox_fit import build_risk_sets, loglik_derivs
from cnsrwe.stats.cox_resid import score_residuals
from cnsrwe.stats.cox_zph import cox_zph

# data set 1 without its missing-status row: (time, status, x)
T1 = {"time": [9, 1, 1, 6, 6, 8], "status": [1, 1, 0, 1, 1, 0], "x": [0, 1, 1, 1, 0, 0]}
# data set 2, counting process
T2 = {
    "start": [1, 2, 5, 2, 1, 7, 3, 4, 8, 8],
    "stop": [2, 3, 6, 7, 8, 9, 9, 9, 14, 17],
    "event": [1, 1, 1, 1, 1, 1, 1, 0, 0, 0],
    "x": [1, 0, 0, 1, 0, 1, 1, 1, 0, 0],
}
# weighted data set (book5/book6)
TW = {
    "time": [1, 1, 2, 2, 2, 2, 3, 4, 5],
    "status": [1, 0, 1, 1, 1, 0, 0, 1, 0],
    "x": [2, 0, 1, 1, 0, 1, 0, 1, 0],
    "wt": [1, 2, 3, 4, 3, 2, 1, 2, 1],
}
BETAS = [-1.0, 0.0, 0.4, 1.5]


def derivs(data: dict, beta: float, ties: str, start: bool = False, weights: bool = False):
    stop = np.asarray(data["stop" if start else "time"], dtype=float)
    ev = np.asarray(data["event" if start else "status"]) == 1
    x = np.asarray(data["x"], dtype=float)[:, None]
    w = np.asarray(data["wt"], dtype=float) if weights else np.ones(stop.shape[0])
    st = np.asarray(data["start"], dtype=float) if start else None
    rs = build_risk_sets(x, stop, ev, w, np.zeros(stop.shape[0], dtype=np.int64), st)
    lk, u, imat = loglik_derivs(rs, np.array([beta]), ties)
    return lk, u[0], imat[0, 0]


@pytest.mark.parametrize("beta", BETAS)
def test_data1_breslow(beta: float) -> None:
    r = np.exp(beta)
    lk, u, i = derivs(T1, beta, "breslow")
    assert lk == pytest.approx(2 * beta - (np.log(3 * r + 3) + 2 * np.log(r + 3)), rel=1e-12)
    assert u == pytest.approx((6 + 3 * r - r * r) / ((r + 1) * (r + 3)), rel=1e-12)
    assert i == pytest.approx(r / (r + 1) ** 2 + 6 * r / (r + 3) ** 2, rel=1e-12)


@pytest.mark.parametrize("beta", BETAS)
def test_data1_efron(beta: float) -> None:
    r = np.exp(beta)
    lk, u, i = derivs(T1, beta, "efron")
    assert lk == pytest.approx(
        2 * beta - (np.log(3 * r + 3) + np.log((r + 5) / 2) + np.log(r + 3)), rel=1e-12
    )
    assert u == pytest.approx((30 + 23 * r - r**3) / ((r + 1) * (r + 3) * (r + 5)), rel=1e-12)
    f = lambda p: p - p * p  # noqa: E731
    assert i == pytest.approx(f(r / (r + 1)) + f(r / (r + 5)) + f(r / (r + 3)), rel=1e-12)


@pytest.mark.parametrize("beta", BETAS)
def test_data1_exact(beta: float) -> None:
    r = np.exp(beta)
    lk, u, i = derivs(T1, beta, "exact")
    assert lk == pytest.approx(2 * (beta - np.log(3 * r + 3)), rel=1e-12)
    assert u == pytest.approx(2 / (r + 1), rel=1e-12)
    assert i == pytest.approx(2 * r / (r + 1) ** 2, rel=1e-12)


@pytest.mark.parametrize("beta", BETAS)
def test_data2_counting_process(beta: float) -> None:
    r = np.exp(beta)
    lk, u, i = derivs(T2, beta, "breslow", start=True)
    assert lk == pytest.approx(
        4 * beta - np.log(r + 1) - np.log(r + 2) - 3 * np.log(3 * r + 2) - 2 * np.log(3 * r + 1),
        rel=1e-12,
    )
    assert u == pytest.approx(
        1 / (r + 1) + 1 / (3 * r + 1) + 4 / (3 * r + 2)
        - (r / (r + 2) + 3 * r / (3 * r + 2) + 3 * r / (3 * r + 1)),
        rel=1e-12,
    )
    assert i == pytest.approx(
        r / (r + 1) ** 2 + 2 * r / (r + 2) ** 2 + 6 * r / (3 * r + 2) ** 2
        + 3 * r / (3 * r + 1) ** 2 + 3 * r / (3 * r + 1) ** 2 + 12 * r / (3 * r + 2) ** 2,
        rel=1e-12,
    )
    lk, u, i = derivs(T2, beta, "efron", start=True)
    assert lk == pytest.approx(
        4 * beta - (np.log(r + 1) + np.log(r + 2) + 2 * np.log(3 * r + 2)
                    + 2 * np.log(3 * r + 1) + np.log(2 * r + 2)),
        rel=1e-12,
    )
    assert u == pytest.approx(
        1 / (r + 1) + 1 / (3 * r + 1) + 2 * (1 / (3 * r + 2) + 1 / (2 * r + 2))
        - (r / (r + 2) + 3 * r / (3 * r + 2) + 3 * r / (3 * r + 1)),
        rel=1e-12,
    )
    assert i == pytest.approx(
        r * (1 / (r + 1) ** 2 + 2 / (r + 2) ** 2 + 6 / (3 * r + 2) ** 2
             + 6 / (3 * r + 1) ** 2 + 6 / (3 * r + 2) ** 2 + 4 / (2 * r + 2) ** 2),
        rel=1e-12,
    )


@pytest.mark.parametrize("beta", BETAS)
def test_weighted_breslow_and_efron(beta: float) -> None:
    r = np.exp(beta)
    lk, _, _ = derivs(TW, beta, "breslow", weights=True)
    assert lk == pytest.approx(
        11 * beta - (np.log(r**2 + 11 * r + 7) + 10 * np.log(11 * r + 5) + 2 * np.log(2 * r + 1)),
        rel=1e-12,
    )
    a, b = 7 * r + 3, 4 * r + 2
    lk, _, _ = derivs(TW, beta, "efron", weights=True)
    assert lk == pytest.approx(
        11 * beta - (np.log(r**2 + 11 * r + 7) + 10 * np.log(11 * r + 5) / 3
                     + 10 * np.log(a * 2 / 3 + b) / 3 + 10 * np.log(a / 3 + b) / 3
                     + 2 * np.log(2 * r + 1)),
        rel=1e-12,
    )


def test_weights_equal_replication() -> None:
    """Breslow: integer case weights equal replicated rows (R tests/book5.R, testw2).

    (Efron does not have this property: replication changes the number of tied deaths.)
    """
    rep = np.repeat(np.arange(9), TW["wt"])
    expanded = {k: list(np.asarray(TW[k])[rep]) for k in ("time", "status", "x")}
    for ties in ("breslow",):
        a = cox_ph(TW, duration="time", event="status", covariates=["x"], weights="wt", ties=ties)
        b = cox_ph(expanded, duration="time", event="status", covariates=["x"], ties=ties)
        assert a.coef[0] == pytest.approx(b.coef[0], rel=1e-9)
        assert a.se[0] == pytest.approx(b.se[0], rel=1e-8)
        assert a.loglik[1] == pytest.approx(b.loglik[1], rel=1e-10)


def test_breslow_mle_is_the_closed_form_root() -> None:
    fit = cox_ph(T1, duration="time", event="status", covariates=["x"], ties="breslow")
    assert fit.coef[0] == pytest.approx(np.log(1.5 + np.sqrt(33) / 2), rel=1e-9)


def test_efron_mle_and_breslow_score_residuals() -> None:
    # Efron MLE: r solves r^3 - 23 r - 30 = 0 (trigonometric root, as tests/zph.R)
    phi = np.arccos((45 / 23) * np.sqrt(3 / 23))
    r = 2 * np.sqrt(23 / 3) * np.cos(phi / 3)
    fit = cox_ph(T1, duration="time", event="status", covariates=["x"])
    assert fit.coef[0] == pytest.approx(np.log(r), rel=1e-9)
    # Breslow score residuals at beta = 0 (book1: 5/24, 5/12, -1/12, 7/24, -1/24, 5/24)
    f0 = cox_ph(T1, duration="time", event="status", covariates=["x"], ties="breslow", max_iter=0)
    res = score_residuals(f0._risk_sets, np.zeros(1), "breslow")[:, 0]
    np.testing.assert_allclose(res, np.array([5, 10, -2, 7, -1, 5]) / 24, atol=1e-14)


def test_zph_closed_form_breslow_identity_and_efron_log() -> None:
    """Score test of beta*g(t)*x computed by hand (tests/zph.R) equals cox_zph."""
    g = np.array([1.0, 6, 6, 9])
    r = (3 + np.sqrt(33)) / 2
    u = np.array([1 / (r + 1), 3 / (r + 3), -r / (r + 3), 0])
    im = np.array([r / (r + 1) ** 2, 3 * r / (r + 3) ** 2, 3 * r / (r + 3) ** 2, 0])

    def sctest(gg: np.ndarray, uu: np.ndarray, ii: np.ndarray) -> float:
        u2 = np.array([uu.sum(), (gg * uu).sum()])
        i2 = np.array([[ii.sum(), (gg * ii).sum()], [(gg * ii).sum(), (gg * gg * ii).sum()]])
        return float(u2 @ np.linalg.solve(i2, u2))

    fit = cox_ph(T1, duration="time", event="status", covariates=["x"], ties="breslow")
    assert cox_zph(fit, transform="identity").chisq[0] == pytest.approx(sctest(g, u, im), 1e-6)
    g3 = np.log(g) - np.log(g).mean()
    assert cox_zph(fit, transform="log").chisq[0] == pytest.approx(sctest(g3, u, im), rel=1e-6)

    phi = np.arccos((45 / 23) * np.sqrt(3 / 23))
    r = 2 * np.sqrt(23 / 3) * np.cos(phi / 3)
    u = np.array([1 / (r + 1), 3 / (r + 3), -r / (r + 5), 0])
    im = np.array([r / (r + 1) ** 2, 3 * r / (r + 3) ** 2, 5 * r / (r + 5) ** 2, 0])
    fit = cox_ph(T1, duration="time", event="status", covariates=["x"])
    assert cox_zph(fit, transform="log").chisq[0] == pytest.approx(sctest(g3, u, im), rel=1e-6)
    # artificial stratification doubles the statistic (tests/zph.R, fit6)
    t2 = {k: v + v for k, v in T1.items()}
    t2["grp"] = [0] * 6 + [1] * 6
    t2["zero"] = [0] * 12
    fit6 = cox_ph(t2, duration="time", event="status", covariates=["x"], strata="grp",
                  start="zero")
    assert cox_zph(fit6, transform="log").chisq[0] == pytest.approx(
        2 * sctest(g3, u, im), rel=1e-6
    )
