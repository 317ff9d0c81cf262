"""Logistic regression by Newton-Raphson (IRLS), with odds ratios, Wald intervals and p-values.

Small and dependency-free (numpy and scipy only), because the churn model needs nothing statsmodels adds: a
binary outcome, a handful of dummy and numeric predictors, and the covariance from the information matrix. For
the logit link the observed information equals the expected one, ``X' W X`` with ``W = diag(p (1 - p))``, so
Newton-Raphson and IRLS are the same iteration and the inverse of that matrix at the optimum is the
covariance of the estimates (as ``statsmodels.Logit`` reports it).

Separation (a predictor level where everyone churned or nobody did) sends a coefficient to infinity; the fit then
stops at ``MAX_ITER`` and reports ``converged=False``, and callers show the result with that warning.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps
from scipy.special import expit

MAX_ITER = 50
TOL = 1e-10
Z95 = float(sps.norm.ppf(0.975))


@dataclass(frozen=True)
class LogitFit:
    """Estimates of a logistic regression: coefficients (log-odds), standard errors, Wald z and p-values.

    ``names`` label the columns of the design matrix (the intercept first when it was added).
    """

    names: list[str]
    coef: np.ndarray
    se: np.ndarray
    z: np.ndarray
    p_value: np.ndarray
    n: int
    events: int
    log_likelihood: float
    null_log_likelihood: float
    converged: bool
    iterations: int

    @property
    def odds_ratio(self) -> np.ndarray:
        """exp(coefficient): the factor on the odds per unit of the predictor."""
        return np.exp(self.coef)

    def odds_ratio_ci(self, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
        """Wald 95 % interval of the odds ratios: exp(coef -/+ z x SE)."""
        return np.exp(self.coef - z * self.se), np.exp(self.coef + z * self.se)

    @property
    def pseudo_r2(self) -> float:
        """McFadden's pseudo R^2: 1 - logL(model) / logL(intercept only)."""
        if self.null_log_likelihood == 0:
            return math.nan
        return 1 - self.log_likelihood / self.null_log_likelihood

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Predicted probabilities for a design matrix laid out like the fitted one (intercept column included)."""
        return expit(np.asarray(x, dtype=float) @ self.coef)


def _log_likelihood(y: np.ndarray, eta: np.ndarray) -> float:
    # log(1 + e^eta) computed stably: logaddexp(0, eta).
    return float(np.sum(y * eta - np.logaddexp(0.0, eta)))


def fit_logit(x: np.ndarray, y: np.ndarray, names: list[str] | None = None, intercept: bool = True) -> LogitFit:
    """Fit ``P(y = 1) = 1 / (1 + exp(-X b))`` by Newton-Raphson on the log-likelihood.

    Args:
        x: n x k predictors (no intercept column when ``intercept`` is true: it is added first).
        y: n outcomes, 0 or 1.
        names: labels of the k predictors.
        intercept: add a constant column named "intercept".

    Raises:
        ValueError: shapes disagree, y is not 0/1, or there are fewer rows than coefficients.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    labels = list(names) if names is not None else [f"x{i}" for i in range(x.shape[1])]
    if intercept:
        x = np.column_stack([np.ones(len(x)), x])
        labels = ["intercept", *labels]
    if len(y) != len(x) or len(labels) != x.shape[1]:
        raise ValueError("x, y and names do not match")
    if not np.all((y == 0) | (y == 1)):
        raise ValueError("y must be 0 or 1")
    if len(y) <= x.shape[1]:
        raise ValueError("fewer observations than coefficients")
    beta = np.zeros(x.shape[1])
    mean = y.mean()
    if intercept and 0 < mean < 1:
        beta[0] = math.log(mean / (1 - mean))  # start at the intercept-only fit: fewer steps
    ll = _log_likelihood(y, x @ beta)
    converged, iterations = False, 0
    while iterations < MAX_ITER:
        iterations += 1
        p = expit(x @ beta)
        info = (x * (p * (1 - p))[:, None]).T @ x
        step = np.linalg.lstsq(info, x.T @ (y - p), rcond=None)[0]
        new = beta + step
        new_ll = _log_likelihood(y, x @ new)
        halvings = 0
        while new_ll < ll - 1e-12 and halvings < 30:  # step-halving keeps every iteration an improvement
            step /= 2
            new = beta + step
            new_ll = _log_likelihood(y, x @ new)
            halvings += 1
        beta, old_ll, ll = new, ll, new_ll
        if abs(ll - old_ll) < TOL * (abs(ll) + TOL) and np.max(np.abs(step)) < 1e-6:
            converged = True
            break
    p = expit(x @ beta)
    info = (x * (p * (1 - p))[:, None]).T @ x
    cov = np.linalg.pinv(info)
    se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, beta / se, np.nan)
    p_values = 2 * sps.norm.sf(np.abs(z))
    null_ll = _null_log_likelihood(y)
    return LogitFit(labels, beta, se, z, p_values, len(y), int(y.sum()), ll, null_ll, converged, iterations)


def _null_log_likelihood(y: np.ndarray) -> float:
    """Log-likelihood of the intercept-only model (the outcome's share as everyone's probability)."""
    k, n = float(y.sum()), float(len(y))
    if k in (0.0, n):
        return 0.0
    return k * math.log(k / n) + (n - k) * math.log(1 - k / n)
