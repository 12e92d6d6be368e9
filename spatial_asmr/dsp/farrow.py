"""The fractional-delay interpolator's design: a Kaiser-windowed sinc and its Farrow fit.

:func:`fractional_kernel` is the interpolator (see :mod:`.delay` for why
this one); :func:`fit_coefficients` fits its taps with polynomials in the
fractional position, which is what the delay lines evaluate.  The fit is a
least-squares problem over 4001 positions that takes about a second, so it
is done once, when the package is built, and its result is stored exactly
(as hexadecimal floats) in :mod:`._farrow_table`: :data:`COEFFICIENTS`.
Regenerate the table after changing the design with::

    python -m spatial_asmr.dsp.farrow > spatial_asmr/dsp/_farrow_table.py

(a test checks that the stored table equals a fresh fit to 1e-14).
"""

__all__ = ["HALF_LENGTH", "BETA", "DEGREE", "COEFFICIENTS", "HEX", "fractional_kernel",
           "fit_coefficients", "table_source"]

import numpy as np

from ._farrow_table import HEX

HALF_LENGTH = 12
"""int : Half-length H of the windowed sinc (2H taps)."""
BETA = 8.0
"""float : Kaiser window parameter."""
DEGREE = 7
"""int : Degree of the Farrow polynomials."""


def fractional_kernel(frac, half_length=HALF_LENGTH, beta=BETA):
    """Windowed-sinc taps that delay by ``frac`` samples (0 <= frac <= 1).

    This is the interpolator's design; the delay line evaluates a
    polynomial fit of it (see :func:`interpolator_taps`).

    Parameters
    ----------
    frac : float
        Fractional delay in samples.

    Returns
    -------
    taps : ndarray, shape (2 * half_length,)
        ``taps[k]`` multiplies ``x[n - (k - half_length + 1)]``.
    """
    offsets = np.arange(-half_length + 1, half_length + 1)
    # the ideal delay frac puts the sinc centre at offset frac
    t = offsets - frac
    arg = np.clip(1.0 - (t / half_length) ** 2, 0.0, None)
    window = np.i0(beta * np.sqrt(arg)) / np.i0(beta)
    return np.sinc(t) * window


def fit_coefficients(degree=DEGREE, half_length=HALF_LENGTH):
    """Monomial coefficients ``C`` (degree + 1, 2H) in ``t = 2u - 1``.

    ``sum_m C[m, k] t**m`` weighs ``x[base + 1 - H + k]`` when reading the
    signal at ``base + u``.  The fit is ``P(t) = lin(t) + (1 - t**2) Q(t)``
    with ``lin`` the endpoint values, so ``P`` is exact at whole samples.
    """
    n_taps = 2 * half_length
    u = np.linspace(0.0, 1.0, 4001)
    t = 2.0 * u - 1.0
    # reading at base + u delays x[base + 1] by 1 - u
    target = np.stack([fractional_kernel(1.0 - ui)[::-1] for ui in u])
    at_start = np.eye(n_taps)[half_length - 1]
    at_end = np.eye(n_taps)[half_length]
    lin = np.outer((1 - t) / 2, at_start) + np.outer((1 + t) / 2, at_end)
    basis = np.vander(t, degree - 1, increasing=True) * (1 - t ** 2)[:, None]
    q, *_ = np.linalg.lstsq(basis, target - lin, rcond=None)
    coef = np.zeros((degree + 1, n_taps))
    coef[0] += (at_start + at_end) / 2
    coef[1] += (at_end - at_start) / 2
    coef[:degree - 1] += q
    coef[2:] -= q
    # the kernel is symmetric: P(-t) is P(t) reversed; keep it exactly so
    signs = (-1.0) ** np.arange(degree + 1)
    return 0.5 * (coef + signs[:, None] * coef[:, ::-1])


def table_source(coefficients):
    """The source text of :mod:`._farrow_table` for a coefficient array.

    Parameters
    ----------
    coefficients : ndarray, shape (DEGREE + 1, 2 * HALF_LENGTH)

    Returns
    -------
    str
    """
    rows = "".join("    (" + ", ".join(repr(float(c).hex()) for c in row) + "),\n"
                   for row in coefficients)
    return ('"""Farrow coefficients of the delay-line interpolator, exactly as\n'
            '``spatial_asmr.dsp.farrow.fit_coefficients()`` computes them (generated\n'
            'by ``python -m spatial_asmr.dsp.farrow``; do not edit)."""\n\n'
            "# ruff: noqa: E501\n"
            f"HEX = (\n{rows})\n")


COEFFICIENTS = np.array([[float.fromhex(c) for c in row] for row in HEX])
"""ndarray, shape (DEGREE + 1, 2 * HALF_LENGTH) : The stored fit."""
COEFFICIENTS.flags.writeable = False

if __name__ == "__main__":
    print(table_source(fit_coefficients()), end="")
