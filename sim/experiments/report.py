"""What an impedance run reports: impedance.csv, Nyquist and Bode figures, an equivalent-circuit
fit (impedance.py) and the seeds' measurement formulas applied to the virtual spectrum."""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np

from sim.experiments.impedance import Spectrum
from sim.experiments.spectra import UNIT_LABELS, Curve, plot_spectra
from sim.files import atomic_write
from sim.solve import RunResult
from sim.units import conductivity_from_resistance, warburg_diffusivity


def write_csv(path: Path, spectrum: Spectrum, z: np.ndarray, unit: str) -> None:
    """f, Z′, Z″, |Z|, phase (degrees), solve time."""
    buf = io.StringIO()
    buf.write(f"frequency_Hz,z_real_{unit},z_imag_{unit},z_abs_{unit},phase_deg,solve_time_s\n")
    for f, zz, t in zip(spectrum.frequency, z, spectrum.solve_times, strict=True):
        buf.write(
            f"{f:.10g},{zz.real:.12g},{zz.imag:.12g},{abs(zz):.12g},{math.degrees(np.angle(zz)):.8g},{t:.4g}\n"
        )
    atomic_write(path, buf.getvalue())


def plot_spectrum(
    out: Path, f: np.ndarray, z: np.ndarray, unit: str, fitted: np.ndarray | None, title: str
) -> None:
    """nyquist.png (−Z″ vs Z′, equal axes) and bode.png (|Z| and phase vs f) of one run."""
    out.mkdir(parents=True, exist_ok=True)
    plot_spectra(out / "nyquist.png", out / "bode.png", [Curve("simulated", f, z, fitted)], unit, title)


def fit_circuit(fit_cfg, f: np.ndarray, z: np.ndarray) -> tuple[dict[str, float], np.ndarray, float]:
    """impedance.py CustomCircuit fit weighted by |Z|, parameters scaled by the Jacobian (R ~ 1e3 Ω
    and C ~ 1e-10 F differ by 13 decades); (parameters by name, fitted Z, rms relative residual)."""
    from impedance.models.circuits import CustomCircuit

    circuit = CustomCircuit(
        fit_cfg.circuit, initial_guess=list(fit_cfg.initial_guess), constants=dict(fit_cfg.constants)
    )
    tol = {"ftol": 1e-14, "xtol": 1e-14, "gtol": 1e-14, "maxfev": 100000}
    circuit.fit(f, z, weight_by_modulus=True, x_scale="jac", **tol)
    names = circuit.get_param_names()[0]
    fitted = circuit.predict(f)
    residual = float(np.sqrt(np.mean(np.abs(fitted - z) ** 2 / np.abs(z) ** 2)))
    return dict(zip(names, map(float, circuit.parameters_), strict=True)), fitted, residual


def warburg_slope(f: np.ndarray, z: np.ndarray, region: tuple[float, float]) -> float:
    """Warburg coefficient σ_W: slope of Z′ vs ω^-1/2 over `region` (Hz) (seed 003 eq. 2), Ω s^-1/2."""
    sel = (f >= region[0]) & (f <= region[1])
    if sel.sum() < 2:
        raise ValueError(f"fewer than 2 frequencies in the Warburg region {region} Hz")
    slope, _ = np.polyfit((2.0 * np.pi * f[sel]) ** -0.5, z.real[sel], 1)
    return float(slope)


def report(config, bundle, ctx, spectrum: Spectrum, z_dc: complex | None, thickness: float) -> RunResult:
    """Metrics, csv and figures of a spectrum (Z in Ω with an electrode area, else Ω m²)."""
    exp = config.experiment
    area = _area(config)
    unit = z_unit(config)
    z = spectrum.z_area / (area if area is not None else 1.0)
    f = spectrum.frequency
    metrics: dict[str, float] = {
        f"z_real_max_frequency_{unit}": float(z[0].real),
        f"z_real_min_frequency_{unit}": float(z[-1].real),
        "solve_time_per_frequency_s": float(np.mean(spectrum.solve_times)),
        "spectrum_time_s": float(np.sum(spectrum.solve_times)),
    }
    for probe in exp.probe_frequencies:
        at = z[np.flatnonzero(f == probe)[0]]
        metrics[f"z_real_at_{probe:g}Hz_{unit}"] = float(at.real)
        metrics[f"z_imag_at_{probe:g}Hz_{unit}"] = float(at.imag)
    if z_dc is not None:
        metrics[f"z_dc_{unit}"] = float(z_dc.real / (area if area is not None else 1.0))
    fitted, extra = None, {}
    if exp.fit is not None:
        params, fitted, residual = fit_circuit(exp.fit, f, z)
        metrics |= {f"fit_{name}": value for name, value in params.items()}
        metrics["fit_rms_relative_residual"] = residual
        r_b = params[exp.fit.bulk_resistance]
        if len(bundle.regions) == 1:  # seed 003 eq. 1 holds for one homogeneous film
            metrics["fit_conductivity_S_m"] = conductivity_from_resistance(thickness, r_b, area or 1.0)
        if exp.fit.charge_transfer_resistance is not None and z_dc is not None:
            r_ct = params[exp.fit.charge_transfer_resistance]
            metrics["fit_transference_number"] = r_b / (metrics[f"z_dc_{unit}"] - r_ct)
        extra["circuit"] = exp.fit.circuit
    if exp.warburg_region is not None:
        sigma_w = warburg_slope(f, z, exp.warburg_region)
        c0 = max(config.material(r).si("salt_concentration") for r in config.materials)
        metrics["warburg_coefficient_cell"] = sigma_w
        # a symmetric cell has two identical electrodes in series: one electrode's σ_W is half
        metrics["warburg_diffusivity_m2_s"] = warburg_diffusivity(
            sigma_w / 2.0, area or 1.0, c0, config.physics.temperature
        )
    if ctx.comm.rank == 0:
        write_csv(ctx.out / "impedance.csv", spectrum, z, unit)
        if config.output.figures:
            title = config.description or "impedance"
            plot_spectrum(ctx.out / "figures", f, z, UNIT_LABELS[unit], fitted, title)
    return RunResult(
        metrics=metrics,
        num_dofs=spectrum.num_dofs,
        extra={
            "experiment": {"kind": exp.kind, "frequencies": exp.frequencies.points, "z_unit": unit} | extra
        },
    )


def _area(config) -> float | None:
    exp, phys = config.experiment, config.physics
    return exp.electrode_area if exp.electrode_area is not None else getattr(phys, "electrode_area", None)


def z_unit(config) -> str:
    """The unit of an impedance experiment's Z: "ohm" with an electrode area, else "ohm_m2"."""
    return "ohm" if _area(config) is not None else "ohm_m2"
