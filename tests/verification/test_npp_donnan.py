"""Closed two-layer cells (electroneutral): the start state has the exact salt inventory, so the
Donnan state is exact and a steady state with current converges at p + 1.

Layer i (length lᵢ, salt c0ᵢ, immobile fraction fᵢ, Xᵢ = fᵢ c0ᵢ). Electroneutral: c⁺ = c⁻ + Xᵢ;
μ̂± continuous across the interface; anions blocked, so their amount stays A⁻ = Σ lᵢ (1 − fᵢ) c0ᵢ.

- Equilibrium (blocking electrodes): μ̂± uniform, so c⁺c⁻ = P in every layer,
  c⁻ᵢ = 2P / (Xᵢ + √(Xᵢ² + 4P)), with P from Σ lᵢ c⁻ᵢ(P) = A⁻ (Donnan).
- Steady current (Butler–Volmer at both Li electrodes, ΔV ≠ 0): the anion flux vanishes, μ̂⁻ = m
  uniform, ψ = ln ĉ⁻ − m, μ̂⁺ = ln(ĉ⁺ĉ⁻) − m; the uniform Li⁺ flux N = −D⁺c⁺∇μ̂⁺ = −D⁺ d/dx(2c⁻ + X ln c⁻),
  so Gᵢ(c⁻) = 2c⁻ + Xᵢ ln c⁻ falls linearly with slope N/D⁺ᵢ in each layer; c⁺c⁻ is continuous at
  the interface; N, m and c⁻(0) follow from the two electrode rates and ∫ c⁻ dx = A⁻.
"""

from sim._dolfinx import dolfinx

import numpy as np
import pytest
from npp_setup import layers_bundle, problem, props

from sim.config.physics import NewtonConfig, SolverConfig
from sim.physics.npp import advance
from sim.units import F

fem = dolfinx.fem
LENGTHS = [4.0, 6.0]  # µm
MATERIALS = {
    "layer0": props(2e-12, 3e-12, fixed_fraction=0.0, c0=1000.0),  # binary salt, t⁺ = 0.4
    "layer1": props(1e-12, 2e-12, fixed_fraction=0.5, c0=600.0),  # half the anions immobile
}
I0, ALPHA, DV = 100.0, 0.5, 0.1  # A/m², -, V
SOLVER = SolverConfig(newton=NewtonConfig(rtol=1e-14, atol=1e-16))


def bisect(f, lo, hi, n=200):
    """Root of a monotone f on [lo, hi] (vectorised over arrays of brackets if f is increasing)."""
    sign = 1.0 if np.all(f(hi) > f(lo)) else -1.0
    for _ in range(n):
        mid = 0.5 * (lo + hi)
        up = sign * f(mid) > 0
        lo, hi = np.where(up, lo, mid), np.where(up, mid, hi)
    return 0.5 * (lo + hi)


def layer_data():
    m = list(MATERIALS.values())
    x = np.array([p.immobile_fraction * p.salt_concentration for p in m])
    anions = sum(
        length * (1 - p.immobile_fraction) * p.salt_concentration
        for length, p in zip(LENGTHS, m, strict=True)
    )
    return m, x, anions


def donnan_exact() -> np.ndarray:
    """c⁺ of each layer in the Donnan equilibrium, mol/m³."""
    _, x, anions = layer_data()

    def c_minus(product):
        return 2 * product / (x + np.sqrt(x**2 + 4 * product))

    product = np.exp(bisect(lambda q: np.dot(LENGTHS, c_minus(np.exp(q))) - anions, -10.0, 40.0))
    return c_minus(product) + x


def g_inverse(y, x):
    """c with 2c + X ln c = y (Newton in ln c from the right: G(eᵘ) is increasing and convex)."""
    u = np.log(np.maximum(y, 0.0) / 2 + x + 1.0)
    for _ in range(30):
        c = np.exp(u)
        u = u - (2 * c + x * u - y) / (2 * c + x)
    return np.exp(u)


class SteadyCurrent:
    """The exact steady state with current of the closed two-layer cell (SI, x in m)."""

    def __init__(self, potential: float, bracket: tuple[float, float]) -> None:
        self.m, self.x, self.anions = layer_data()
        self.edges = np.array([0.0, LENGTHS[0], sum(LENGTHS)]) * 1e-6
        self.anions *= 1e-6
        self.k = I0 / F
        self.v = DV / potential
        gauss, weights = np.polynomial.legendre.leggauss(100)
        self.quad = [
            (0.5 * (a + b) + 0.5 * (b - a) * gauss, 0.5 * (b - a) * weights)
            for a, b in zip(self.edges[:-1], self.edges[1:], strict=True)
        ]
        self.n = float(bisect(self.cathode_residual, *bracket, n=60))  # Li⁺ flux in +x (< 0: to the anode)
        self.g = self.anode_anion(self.n)

    def c_minus(self, xs, layer, n, g):
        """c⁻ at points xs of `layer` for flux n and c⁻(0) = g (arrays over n, g allowed)."""
        p = self.m
        if layer == 0:
            return g_inverse(2 * g + self.x[0] * np.log(g) - n * xs / p[0].d_cation, self.x[0])
        left = self.c_minus(self.edges[1], 0, n, g)
        right = 0.5 * (-self.x[1] + np.sqrt(self.x[1] ** 2 + 4 * left * (left + self.x[0])))
        y = 2 * right + self.x[1] * np.log(right) - n * (xs - self.edges[1]) / p[1].d_cation
        return g_inverse(y, self.x[1])

    def anode_anion(self, n):
        """c⁻(0) that gives the cell its anion amount at flux n."""

        def excess(log_g):
            g = np.exp(log_g)
            return (
                sum(np.dot(w, self.c_minus(xs, i, n, g)) for i, (xs, w) in enumerate(self.quad)) - self.anions
            )

        return np.exp(bisect(excess, np.log(1e-3), np.log(1e5), n=60))

    def rate(self, eta, c_plus, c0):
        return self.k * (c_plus / c0) ** ALPHA * (np.exp(ALPHA * eta) - np.exp(-(1 - ALPHA) * eta))

    def cathode_residual(self, n: float) -> float:
        """Li⁺ into the electrolyte at the cathode plus n, with the anode rate equal to n."""
        g = self.anode_anion(n)
        cp0 = g + self.x[0]
        eta_a = bisect(lambda e: self.rate(e, cp0, self.m[0].salt_concentration) - n, -50.0, 50.0, n=80)
        # η_a = 0 − μ̂⁺(0) with μ̂⁺ = ln(c⁺c⁻) − m (mol/m³ in the log: a constant absorbed in m)
        m = np.log(cp0 * g) + eta_a
        cm_h = self.c_minus(self.edges[2], 1, n, g)
        eta_c = self.v - (np.log((cm_h + self.x[1]) * cm_h) - m)
        return float(self.rate(eta_c, cm_h + self.x[1], self.m[1].salt_concentration) + n)

    def c_plus(self, xs, layer):
        return self.c_minus(xs, layer, self.n, self.g) + self.x[layer]


def l2_error(p, exact_by_layer) -> float:
    """‖c⁺_h − c⁺‖_L2 / ‖c⁺‖_L2 with the exact c⁺ interpolated per layer into DG of degree 6."""
    V = fem.functionspace(p.bundle.mesh, ("DG", 6))
    exact = fem.Function(V)
    for layer, tag in enumerate(p.bundle.regions.values()):
        cells = p.bundle.cell_tags.find(tag)
        exact.interpolate(lambda xx, layer=layer: exact_by_layer(xx[0] * 1e-6, layer), cells)
    c = p.c_p * p.scales.concentration
    return np.sqrt(p.integral((c - exact) ** 2, p.dx) / p.integral(exact**2, p.dx))


@pytest.mark.parametrize("degree", [1, 2])
def test_initial_inventory_and_donnan_state_exact(degree):
    """Start state: Li⁺ and anion amounts exact (1e-13); steady Donnan state exact (L2, 1e-13) on
    three meshes (the lumped start state alone gave L2 errors 1.1e-2, 5.6e-3, 2.8e-3: O(h), P2 the same)."""
    c_exact = donnan_exact()
    for n in (1, 2, 4):
        p = problem(
            layers_bundle(LENGTHS, [4 * n, 6 * n]),
            {"reaction": {"kind": "blocking"}, "element_degree": degree},
            MATERIALS,
            solver=SOLVER,
        )
        m, _, anions = layer_data()
        li = sum(length * q.salt_concentration for length, q in zip(LENGTHS, m, strict=True))
        totals = p.totals()
        s = p.scales.concentration
        assert totals["anion"] * s == pytest.approx(anions, rel=1e-13)
        assert totals["li"] * s == pytest.approx(li, rel=1e-13)
        advance(p, None, 1e-5, tolerance=1e-13)
        err = l2_error(p, lambda xs, layer: np.full_like(xs, c_exact[layer]))
        assert err < 1e-13


def test_poisson_start_state_has_exact_amounts():
    p = problem(
        layers_bundle(LENGTHS, [4, 6]), {"mode": "poisson", "reaction": {"kind": "blocking"}}, MATERIALS
    )
    m, _, anions = layer_data()
    li = sum(length * q.salt_concentration for length, q in zip(LENGTHS, m, strict=True))
    totals = p.totals()
    assert totals["anion"] * p.scales.concentration == pytest.approx(anions, rel=1e-13)
    assert totals["li"] * p.scales.concentration == pytest.approx(li, rel=1e-13)


@pytest.mark.parametrize("degree", [1, 2])
def test_steady_current_converges_at_p_plus_1(degree):
    """4 meshes (h = 1, 1/2, 1/4, 1/8 µm): L2 order of c⁺ ≥ p + 0.9, of the current ≥ 2p − 0.1."""
    states, currents = [], []
    for n in (1, 2, 4, 8):
        p = problem(
            layers_bundle(LENGTHS, [4 * n, 6 * n]),
            {
                "reaction": {"kind": "butler_volmer", "exchange_current_density": I0, "alpha": ALPHA},
                "potential_difference": DV,
                "element_degree": degree,
            },
            MATERIALS,
            solver=SOLVER,
        )
        advance(p, None, 1e-5, tolerance=1e-12)
        states.append(p)
        anode = p.bundle.boundaries["anode"]
        currents.append(p.integral(p.influx["anode"], p.ds(anode)) * p.scales.flux)
    exact = SteadyCurrent(p.scales.potential, (1.5 * currents[-1], 0.5 * currents[-1]))
    errors = [l2_error(p, exact.c_plus) for p in states]
    current_err = np.abs(np.array(currents) / exact.n - 1)
    orders = np.log2(np.array(errors[:-1]) / errors[1:])
    c_orders = np.log2(current_err[:-1] / current_err[1:])
    assert orders.min() > degree + 0.9, (errors, orders)
    assert c_orders.min() > 2 * degree - 0.1, (current_err, c_orders)  # a boundary flux: order 2p
