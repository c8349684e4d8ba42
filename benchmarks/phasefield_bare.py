"""The package's chen2015 step against a bare DOLFINx script of the same residual (issue 10, "Cost"):
`dendrite_peo` with mechanics off (32k dofs), one rank, in-process.

The package runs first (sim.api.run, figures and fields off). The bare script below then replays
its accepted time steps on the same mesh: the residual, boundary conditions, initial state,
Newton's extrapolated initial guess and PETSc options written out here from the equations
(sim.physics.phasefield), with nothing of the package but the config's numbers and the mesh. It
prints the largest difference of the final fields (the two solve the same problem to round-off)
and the time per Newton iteration of both, wall and CPU (process_time), each the minimum over
`REPEATS` runs: the package's over its whole run loop (steps, observers, output, checkpoint), the
bare script's over its steps.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/phasefield_bare.py
"""

import math
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, print_table

sys.path.insert(0, str(ROOT))

from sim._dolfinx import dolfinx

import basix.ufl
import numpy as np
import ufl

import sim
from sim.units import F, R

CONFIG = ROOT / "configs/dendrite_peo.yaml"
OVERRIDES = {
    "physics__mechanics": "none",
    "physics__stress_coupling": "none",
    "output__figures": False,
    "output__fields": False,
}
REPEATS = 3
fem = dolfinx.fem


def package_run() -> tuple[dict, dict, object]:
    """(summary, final fields by name, mesh bundle) of one package run."""
    loaded = sim.load_config(CONFIG, **OVERRIDES)
    with tempfile.TemporaryDirectory() as tmp:
        result = sim.run(loaded, out=Path(tmp) / "run", quiet=True)
    return result.summary, result.functions, result.bundle


def residual(U, U_n, dt, v: dict[str, float], ell: float, phys) -> ufl.Form:
    """The chen2015 residual (ξ, c̃, ψ) without mechanics: Allen–Cahn with the ω-fold anisotropic
    gradient energy and the Butler–Volmer source, Nernst–Planck for c̃, charge conservation for ψ."""
    xi, c, psi = ufl.split(U)
    xi_n, c_n, _ = ufl.split(U_n)
    a, b, q = ufl.TestFunctions(U.function_space)
    dx = ufl.Measure("dx", U.function_space.mesh, metadata={"quadrature_degree": 4})
    n, alpha = v["n"], v["alpha"]
    kappa = v["kappa0"] / (v["W"] * ell**2)
    sigma_scale = R * v["T"] / (n * F**2 * v["c_s"] * ell**2)

    def h(x):
        return x**3 * (6 * x**2 - 15 * x + 10)

    def energy(x, g):  # ξ²(1−ξ)² + ½ κ (1 + δ cos ω(θ − π/2)) |∇ξ|², cos ωθ = T_ω(cos θ)
        cos_t = (g[0] * math.cos(math.pi / 2) + g[1] * math.sin(math.pi / 2)) / ufl.sqrt(
            ufl.inner(g, g) + 1e-6**2
        )
        t_prev, t = 1.0, cos_t
        for _ in range(int(v["omega"]) - 1):
            t_prev, t = t, 2 * cos_t * t - t_prev
        return x**2 * (1 - x) ** 2 + 0.5 * kappa * (1 + v["delta"] * t) * ufl.inner(g, g)

    xv, gv = ufl.variable(xi), ufl.variable(ufl.grad(xi))
    f = energy(xv, gv)
    eta = psi - phys.equilibrium_potential / (R * v["T"] / F)
    rate = ufl.exp((1 - alpha) * n * eta) - c * ufl.exp(-alpha * n * eta)
    D = h(xi) * v["D_e"] / ell**2 + (1 - h(xi)) * v["D_l"] / ell**2
    sigma = h(xi) * v["sigma_e"] * sigma_scale + (1 - h(xi)) * v["sigma_l"] * sigma_scale
    xi_rate = (xi - xi_n) / dt
    allen_cahn = (
        xi_rate * a
        + v["L_sigma"] * v["W"] * (ufl.diff(f, xv) * a + ufl.inner(ufl.diff(f, gv), ufl.grad(a)))
        + v["L_eta"] * ufl.diff(h(xv), xv) * rate * a
    )
    flux = D * (ufl.grad(c) + n * c * ufl.grad(psi))
    ions = (c - c_n) / dt * b + ufl.inner(flux, ufl.grad(b)) + v["c_s"] / v["c0"] * xi_rate * b
    charge = sigma * ufl.inner(ufl.grad(psi), ufl.grad(q)) + xi_rate * q
    return (allen_cahn + ions + charge) * dx


def bare_run(bundle, loaded, dts: np.ndarray) -> tuple[dolfinx.fem.Function, int, float, float]:
    """(final state, Newton iterations, wall s, CPU s of the steps) of the bare script over `dts`."""
    config = loaded.config
    phys, geo = config.physics, config.geometry
    mesh, ell = bundle.mesh, bundle.length_scale
    v = phys.values()
    P1 = basix.ufl.element("Lagrange", mesh.basix_cell(), 1)
    W = fem.functionspace(mesh, basix.ufl.mixed_element([P1, P1, P1]))
    U, U_n = fem.Function(W), fem.Function(W)
    dt = fem.Constant(mesh, 1.0)
    psi_a, height = phys.applied_voltage / (R * v["T"] / F), geo.height / ell
    delta, film = math.sqrt(2 * v["kappa0"] / v["W"]) / ell, phys.li_film_thickness / ell

    def xi0(x):
        d = x[1] - film
        for nucleus in geo.nuclei:
            d = np.minimum(d, np.hypot(x[0] - nucleus.center_x / ell, x[1]) - nucleus.radius / ell)
        return 0.5 * (1 - np.tanh(d / delta))

    U.sub(0).interpolate(xi0)
    U.sub(1).interpolate(lambda x: np.ones(x.shape[1]))
    U.sub(2).interpolate(lambda x: psi_a * (1 - x[1] / height))
    U_n.x.array[:] = U.x.array
    fdim = mesh.topology.dim - 1
    tags = bundle.facet_tags
    anode, cathode = (tags.find(bundle.boundaries[name]) for name in ("anode", "cathode"))

    def bc(sub, facets, value):
        return fem.dirichletbc(value, fem.locate_dofs_topological(W.sub(sub), fdim, facets), W.sub(sub))

    bcs = [
        bc(2, anode, psi_a),
        bc(2, cathode, 0.0),
        bc(0, anode, 1.0),
        bc(1, cathode, phys.cathode_concentration),
    ]
    newton = config.solver.newton
    options = {
        "ksp_type": "preonly",
        "pc_type": "lu",
        "pc_factor_mat_solver_type": "mumps",
        "snes_type": "newtonls",
        "snes_linesearch_type": "bt",
        "snes_rtol": newton.rtol,
        "snes_atol": newton.atol,
        "snes_max_it": newton.max_iterations,
        "mat_mumps_icntl_35": 1,
        "mat_mumps_cntl_7": 1.0e-8,
    }
    problem = fem.petsc.NonlinearProblem(
        residual(U, U_n, dt, v, ell, phys), U, bcs=bcs, petsc_options_prefix="bare_", petsc_options=options
    )
    its = 0
    U_previous = U_n.x.array.copy()
    wall, cpu = time.perf_counter(), time.process_time()
    for k, step in enumerate(dts):
        dt.value = step
        if k >= 2:  # Newton from the extrapolation of the last two states, from the third step on
            U.x.array[:] = U_n.x.array + (step / dts[k - 1]) * (U_n.x.array - U_previous)
        problem.solve()
        assert problem.solver.getConvergedReason() > 0
        its += problem.solver.getIterationNumber()
        U_previous[:] = U_n.x.array
        U_n.x.array[:] = U.x.array
    return U, its, time.perf_counter() - wall, time.process_time() - cpu


def difference(U, functions: dict, v: dict[str, float]) -> dict[str, float]:
    """Largest |package − bare| of ξ, c̃ and ψ (scaled units) at the end of the run."""
    scales = {"phase_field_xi": 1.0, "concentration_Li_mol_m3": v["c0"], "potential_V": R * v["T"] / F}
    out = {}
    for i, (name, scale) in enumerate(scales.items()):
        bare = U.sub(i).collapse().x.array
        out[name] = float(np.abs(functions[name].x.array / scale - bare).max())
    return out


def main() -> None:
    loaded = sim.load_config(CONFIG, **OVERRIDES)
    v = loaded.config.physics.values()
    package, bare = [], []
    for _ in range(REPEATS):
        summary, functions, bundle = package_run()
        assert summary["metrics"]["rejected_steps"] == 0, "the replay needs a run without rejected steps"
        its = summary["newton_iterations"]
        package.append((summary["solve_time_s"] / its, summary["solve_cpu_s"] / its))
        dts = np.diff(summary["history"]["t_s"])
        U, bare_its, wall, cpu = bare_run(bundle, loaded, dts)
        bare.append((wall / bare_its, cpu / bare_its))
    diff = difference(U, functions, v)
    p, b = np.min(package, axis=0), np.min(bare, axis=0)
    print(
        f"dofs {summary['num_dofs']}, steps {summary['num_steps']}, Newton {its} (package) {bare_its} (bare)"
    )
    print("largest |package − bare| at t_end: " + ", ".join(f"{k} {d:.2e}" for k, d in diff.items()))
    rows = [
        {"case": "package (run loop)", "wall s/newton": f"{p[0]:.4f}", "cpu s/newton": f"{p[1]:.4f}"},
        {"case": "bare script (steps)", "wall s/newton": f"{b[0]:.4f}", "cpu s/newton": f"{b[1]:.4f}"},
        {"case": "ratio", "wall s/newton": f"{p[0] / b[0]:.2f}", "cpu s/newton": f"{p[1] / b[1]:.2f}"},
    ]
    print_table(rows)


if __name__ == "__main__":
    main()
