"""Fits the coefficients of JavaKernels.erf (F32 erf without exp: one division, vectorisable).

|x| < 2:  erf(x) = x * P(x^2) / Q(x^2), P of degree 4, Q of degree 3 with Q(0) = 1 (relative error 1.1e-8);
|x| >= 2: erf(x) = sign(x) * (1 - R(|x|)^-16), R of degree 6 on [2, 3.92] fitted to erfc^(-1/16)
          (relative error of R 6e-7, so an absolute error of erf below 5e-8 before F32 rounding).
Both by iteratively reweighted least squares on Chebyshev nodes (an approximation of the minimax fit).
Run: python3 erf_fit.py (numpy, scipy); paste the printed constants into JavaKernels.
"""
import numpy as np
from scipy.special import erf, erfc


def chebyshev_nodes(lo, hi, n=4000):
    return np.cos(np.linspace(0, np.pi, n)) * (hi - lo) / 2 + (hi + lo) / 2


def fit_rational(hi, m, n, iters=40):
    x = chebyshev_nodes(0, hi)
    x = x[x > 1e-4]
    t = x * x
    f = erf(x) / x
    w = np.ones_like(x)
    q_prev = np.ones_like(x)
    for it in range(iters):
        a = np.hstack([np.vander(t, m + 1, increasing=True),
                       -f[:, None] * np.vander(t, n + 1, increasing=True)[:, 1:]])
        wt = w / (q_prev * f)
        sol, *_ = np.linalg.lstsq(a * wt[:, None], f * wt, rcond=None)
        p, q = sol[:m + 1], np.concatenate([[1.0], sol[m + 1:]])
        q_prev = np.polyval(q[::-1], t)
        err = (np.polyval(p[::-1], t) / q_prev - f) / f
        if it > 5:
            w = w * (np.abs(err) + 1e-30) ** 0.3
            w /= w.max()
    return p, q, np.abs(err).max()


def fit_tail(lo, hi, d, iters=30):
    a = chebyshev_nodes(lo, hi)
    g = erfc(a) ** (-1.0 / 16)
    w = np.ones_like(a)
    for _ in range(iters):
        v = np.vander(a, d + 1, increasing=True)
        sol, *_ = np.linalg.lstsq(v * (w / g)[:, None], w, rcond=None)
        err = (v @ sol - g) / g
        w = w * (np.abs(err) + 1e-30) ** 0.3
        w /= w.max()
    return sol, np.abs(err).max()


p, q, e = fit_rational(2.0, 4, 3)
print("P", [float(c) for c in p], "Q", [float(c) for c in q], "relative error", e)
r, e = fit_tail(2.0, 3.92, 6)
print("R", [float(c) for c in r], "relative error", e)
