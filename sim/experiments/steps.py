"""Step experiments on a Li | electrolyte | Li cell at rest (issue 12 item 2), transient NPP runs:

- chronoamperometry: the cathode potential steps by ΔV (seed 003: 10 mV); I(t), I₀ (the first
  step, before any salt gradient), I_ss (the end of the window) and the Bruce–Vincent
  t⁺ = I_ss(ΔV − I₀R_i⁰)/(I₀(ΔV − I_ss R_i^s)) (Evans, Vincent & Bruce 1987), and seed 003 eq. 4,
  the same times R_b^s/R_b⁰; R_b and R_i are fitted from the simulated spectra before the step and
  at its end (under ΔV), as the experiment does (not the model's R_ct = 2RT/(F i0));
- galvanostatic: Li⁺ plates at the anode at J/F; V(t) and Sand's time, when c⁺ at the anode falls to
  depletion_threshold × c0, against Sand's t_s = πD_amb(c0F)²/(4(J(1 − t⁺))²) for a binary salt.
"""

from __future__ import annotations

import io
import math

import numpy as np

from sim.config.npp import FixedFlux
from sim.experiments.transient import Probe, fitted_spectrum, npp_problem, plot_series, rest
from sim.files import atomic_write
from sim.physics.npp import advance
from sim.solve import RunResult, SolverFailed
from sim.units import F


def _csv(path, header: str, rows: list[tuple[float, ...]]) -> None:
    buf = io.StringIO()
    buf.write(header + "\n")
    for row in rows:
        buf.write(",".join(f"{v:.12g}" for v in row) + "\n")
    atomic_write(path, buf.getvalue())


def _height(problem) -> float:
    """Electrode distance, m (the model's own measure)."""
    from sim.physics.conduction import electrode_distance

    return electrode_distance(problem.bundle.mesh) * problem.scales.length


def bruce_vincent(dv: float, i0: float, iss: float, ri0: float, riss: float) -> float:
    """t⁺ = I_ss(ΔV − I₀R₀)/(I₀(ΔV − I_ss R_ss)) (Evans, Vincent & Bruce, Polymer 28 (1987) 2324)."""
    return iss * (dv - i0 * ri0) / (i0 * (dv - iss * riss))


def chronoamperometry(config, bundle, ctx) -> RunResult:
    """Spectrum at rest → potential step over physics.time → spectrum under the step → t⁺."""
    exp, phys = config.experiment, config.physics
    area = exp.electrode_area
    unit, scale = ("A", area) if area is not None else ("A_m2", 1.0)
    r_unit = "ohm" if area is not None else "ohm_m2"
    problem = npp_problem(config, bundle)
    ctx.log(f"at rest after {rest(problem, _height(problem))} pseudo-time steps")
    probe = Probe(problem)
    c0 = problem.scales.concentration
    before = fitted_spectrum(config, problem, exp.spectra, area)
    ctx.log(f"spectrum at rest: {before.params} (rms residual {before.residual:.2g})")
    problem.electrode_psi["cathode"].value = exp.step / problem.scales.potential
    rows: list[tuple[float, ...]] = [(0.0, 0.0)]

    def on_step(stats) -> None:
        probe.update()
        if probe.minimum(at_anode=False) < phys.depletion_threshold * c0:
            raise SolverFailed(f"Li⁺ depleted (below {phys.depletion_threshold:g} c0) at t = {stats.t:.4g} s")
        rows.append((stats.t, probe.current() * scale))

    def on_output(t: float) -> None:
        ctx.fields.write([probe.c_li, probe.phi], t)

    with ctx.progress("chronoamperometry", phys.time.t_end) as update:
        stats = advance(
            problem, phys.time, _height(problem), on_step=on_step, on_output=on_output, progress=update
        )
    after = fitted_spectrum(config, problem, exp.spectra, area, initial=list(before.params.values()))
    ctx.log(f"spectrum under the step: {after.params} (rms residual {after.residual:.2g})")
    fit = exp.spectra.fit
    rb0, rbs = before.params[fit.bulk_resistance], after.params[fit.bulk_resistance]
    ri0, ris = before.params[fit.charge_transfer_resistance], after.params[fit.charge_transfer_resistance]
    i0, iss = rows[1][1], rows[-1][1]
    t_plus = bruce_vincent(exp.step, i0, iss, ri0, ris)
    metrics = {
        "step_V": exp.step,
        f"current_initial_{unit}": i0,
        "current_initial_time_s": rows[1][0],
        f"current_steady_{unit}": iss,
        f"bulk_resistance_before_{r_unit}": rb0,
        f"bulk_resistance_after_{r_unit}": rbs,
        f"interface_resistance_before_{r_unit}": ri0,
        f"interface_resistance_after_{r_unit}": ris,
        "fit_rms_relative_residual_before": before.residual,
        "fit_rms_relative_residual_after": after.residual,
        "transference_number": t_plus,
        "transference_number_seed003": t_plus * rbs / rb0,
    }
    if len(rows) > 2:  # is the window long enough for a steady current?
        metrics["current_last_step_change_rel"] = abs(rows[-1][1] / rows[-2][1] - 1.0)
    if ctx.comm.rank == 0:
        _csv(ctx.out / "chronoamperometry.csv", f"time_s,current_{unit}", rows)
        if config.output.figures:
            t = np.array([r[0] for r in rows[1:]])
            i = np.array([r[1] for r in rows[1:]])
            label = f"t⁺ = {t_plus:.4f} (Bruce–Vincent, ΔV = {exp.step * 1e3:g} mV)"
            plot_series(ctx.out / "figures" / "chronoamperometry.png", t, [(i, f"I ({unit})")], label)
    return _result(
        problem, stats, metrics, {"kind": exp.kind, "current_unit": unit, "resistance_unit": r_unit}
    )


def sand_time(config, current: float) -> float | None:
    """Sand's t_s = πD_amb(c0F)²/(4(J(1 − t⁺))²), D_amb = 2D⁺D⁻/(D⁺ + D⁻), for a one-region cell of a
    binary salt (None otherwise: immobile anions keep c⁺ ≥ c_fixed, and layers change the problem)."""
    from sim.physics.npp import region_transport

    props = list(region_transport(config).values())
    if len(props) != 1 or props[0].immobile_fraction != 0.0:
        return None
    p = props[0]
    d_amb = 2.0 * p.d_cation * p.d_anion / (p.d_cation + p.d_anion)
    return (
        math.pi
        * d_amb
        * (p.salt_concentration * F) ** 2
        / (4.0 * (current * (1.0 - p.transference_number)) ** 2)
    )


def galvanostatic(config, bundle, ctx) -> RunResult:
    """Current step over physics.time until c⁺ at the anode falls to the depletion threshold."""
    exp, phys = config.experiment, config.physics
    current = exp.current()
    flux = FixedFlux(kind="flux", li_flux=current / F)
    cell = config.model_copy(update={"physics": phys.model_copy(update={"reaction": flux})})
    problem = npp_problem(cell, bundle)
    ctx.log(f"at rest after {rest(problem, _height(problem))} pseudo-time steps")
    probe = Probe(problem)
    c0 = problem.scales.concentration
    threshold = phys.depletion_threshold * c0
    rows: list[tuple[float, ...]] = []
    sand: list[float] = []

    def on_step(stats) -> bool:
        probe.update()
        rows.append((stats.t, probe.voltage(), probe.minimum(at_anode=True) / c0))
        if rows[-1][2] * c0 > threshold:
            return False
        (t1, _, c1), (t2, _, c2) = rows[-2] if len(rows) > 1 else (0.0, 0.0, 1.0), rows[-1]
        sand.append(t1 + (t2 - t1) * (c1 - phys.depletion_threshold) / (c1 - c2))
        return True

    def on_output(t: float) -> None:
        ctx.fields.write([probe.c_li, probe.phi], t)

    with ctx.progress("galvanostatic", phys.time.t_end) as update:
        stats = advance(
            problem, phys.time, _height(problem), on_step=on_step, on_output=on_output, progress=update
        )
    metrics = {
        "current_density_A_m2": current,
        "voltage_initial_V": rows[0][1],
        "voltage_initial_time_s": rows[0][0],
        "voltage_final_V": rows[-1][1],
        "anode_concentration_final_rel": rows[-1][2],
        "time_s": stats.t,
    }
    reference = sand_time(config, current)
    if sand:
        metrics["sand_time_s"] = sand[0]
        ctx.log(f"Sand's time: c⁺ at the anode reached {phys.depletion_threshold:g} c0 at {sand[0]:.6g} s")
    else:
        ctx.log(f"no depletion within t_end = {phys.time.t_end:g} s")
    if reference is not None:
        metrics["sand_time_formula_s"] = reference
        if sand:
            metrics["sand_time_ratio"] = sand[0] / reference
    if ctx.comm.rank == 0:
        _csv(ctx.out / "galvanostatic.csv", "time_s,voltage_V,anode_c_li_rel", rows)
        if config.output.figures:
            t, v, c = (np.array([r[k] for r in rows]) for k in range(3))
            marks = [(sand[0], "Sand's time (simulated)")] if sand else []
            marks += [(reference, "Sand's formula")] if reference is not None else []
            title = f"J = {current:g} A/m²"
            panels = [(v, "V (V)"), (c, "c⁺ at the anode / c0")]
            plot_series(ctx.out / "figures" / "galvanostatic.png", t, panels, title, marks)
    return _result(problem, stats, metrics, {"kind": exp.kind, "depleted": bool(sand)})


def _result(problem, stats, metrics: dict[str, float], experiment: dict) -> RunResult:
    ndofs = problem.W.dofmap.index_map.size_global * problem.W.dofmap.index_map_bs
    return RunResult(
        metrics=metrics,
        num_dofs=ndofs,
        num_steps=stats.steps,
        newton_iterations=stats.newton_iterations,
        krylov_iterations=stats.krylov_iterations,
        extra={"experiment": experiment | {"rejected_steps": stats.rejected_steps}},
    )
