"""Re-creation of the R random-number stream used by cmprsk's tests/test.R (no R needed).

cmprsk's test script calls ``RNGversion("1.6.2")`` and ``set.seed(2)``. In R this selects the
generators R used before version 1.7.0: "Marsaglia-Multicarry" uniforms, "Buggy
Kinderman-Ramage" normals and "Rounding" sampling. This module re-implements those, following
R's C sources (src/main/RNG.c: seeding and MARSAGLIA_MULTICARRY; src/nmath/sexp.c: exp_rand;
src/nmath/snorm.c: BUGGY_KINDERMAN_RAMAGE; src/main/random.c and RNG.c R_unif_index with
sample.kind = "Rounding"), so that the data of test.R can be regenerated in Python. Proof that
the stream is right: the cumulative incidence, Gray and crr results computed from it reproduce
every digit test.Rout.save prints (see the tests in tests/stats/test_competing_risks.py).
"""

from __future__ import annotations

import math

import numpy as np

_M32 = 0xFFFFFFFF
_I2_32M1 = 2.328306437080797e-10  # 1 / (2^32 - 1)


class MarsagliaMulticarry:
    """R's ``Marsaglia-Multicarry`` uniform generator, seeded as ``set.seed(seed)``."""

    def __init__(self, seed: int) -> None:
        s = seed & _M32
        for _ in range(50):  # R's initial scrambling
            s = (69069 * s + 1) & _M32
        state = []
        for _ in range(2):
            s = (69069 * s + 1) & _M32
            state.append(s)
        self.i1 = state[0] or 1
        self.i2 = state[1] or 1

    def unif(self) -> float:
        self.i1 = (36969 * (self.i1 & 0xFFFF) + (self.i1 >> 16)) & _M32
        self.i2 = (18000 * (self.i2 & 0xFFFF) + (self.i2 >> 16)) & _M32
        value = (((self.i1 << 16) & _M32) ^ (self.i2 & 0xFFFF)) * _I2_32M1
        if value <= 0.0:
            return 0.5 * _I2_32M1
        if 1.0 - value <= 0.0:
            return 1.0 - 0.5 * _I2_32M1
        return value

    # R's exp_rand (Ahrens & Dieter 1972, algorithm SA)
    _Q = tuple(
        sum(math.log(2) ** j / math.factorial(j) for j in range(1, k + 1)) for k in range(1, 17)
    )

    def exp(self) -> float:
        q = self._Q
        a = 0.0
        u = self.unif()
        while u <= 0.0 or u >= 1.0:
            u = self.unif()
        while True:
            u += u
            if u > 1.0:
                break
            a += q[0]
        u -= 1.0
        if u <= q[0]:
            return a + u
        i = 0
        ustar = self.unif()
        umin = ustar
        while True:
            ustar = self.unif()
            umin = min(umin, ustar)
            i += 1
            if u <= q[i]:
                break
        return a + umin * q[0]

    def sample(self, values: list[int], size: int) -> np.ndarray:
        """``sample(values, size, replace = TRUE)`` with sample.kind = "Rounding"."""
        n = len(values)
        return np.array([values[int(n * self.unif())] for _ in range(size)])

    def norm_buggy_kr(self) -> float:
        """One draw of R's "Buggy Kinderman-Ramage" normal generator."""
        a = 2.216035867166471

        def g(x: float) -> float:
            return 0.398942280401433 * math.exp(-x * x / 2.0) - 0.180025191068563 * (a - x)

        u1 = self.unif()
        if u1 < 0.884070402298758:
            u2 = self.unif()
            return a * (1.13113163544180 * u1 + u2 - 1)
        if u1 >= 0.973310954173898:
            while True:
                u2, u3 = self.unif(), self.unif()
                tt = a * a - 2 * math.log(u3)
                if u2 * u2 < (a * a) / tt:
                    return math.sqrt(tt) if u1 < 0.986655477086949 else -math.sqrt(tt)
        if u1 >= 0.958720824790463:
            while True:
                u2, u3 = self.unif(), self.unif()
                tt = a - 0.630834801921960 * min(u2, u3)
                if max(u2, u3) <= 0.755591531667601 or 0.034240503750111 * abs(u2 - u3) <= g(tt):
                    return tt if u2 < u3 else -tt
        if u1 >= 0.911312780288703:
            while True:
                u2, u3 = self.unif(), self.unif()
                tt = 0.479727404222441 + 1.105473661022070 * min(u2, u3)
                if max(u2, u3) <= 0.872834976671790 or 0.049264496373128 * abs(u2 - u3) <= g(tt):
                    return tt if u2 < u3 else -tt
        while True:
            u2, u3 = self.unif(), self.unif()
            tt = 0.479727404222441 - 0.595507138015940 * min(u2, u3)
            if max(u2, u3) <= 0.805577924423817:
                return tt if u2 < u3 else -tt


def cmprsk_test_data() -> dict[str, np.ndarray]:
    """The vectors of cmprsk tests/test.R: ss, gg (1..3 = a, b, c), cc, strt, dd_ss, cv.

    ``cv`` is the 100 x 3 matrix of 0/1 covariates with R's NA cells (column-major positions
    1, 10, 20, i.e. rows 0, 9, 19 of column 1) set to NaN.
    """
    rng = MarsagliaMulticarry(2)
    ss = np.array([rng.exp() for _ in range(100)])
    gg = rng.sample([1, 2, 3], 100)
    cc = rng.sample([0, 1, 2], 100)
    strt = rng.sample([1, 2], 100)
    dd = np.abs(np.array([rng.norm_buggy_kr() for _ in range(100)]))
    cv = rng.sample([0, 1], 300).astype(float).reshape(3, 100).T  # R fills column-major
    cv[[0, 9, 19], 0] = np.nan
    return {"ss": ss, "gg": gg, "cc": cc, "strt": strt, "dd_ss": dd, "cv": cv}
