"""Run configs: YAML → typed, validated models (SI units), with file:line error messages.

cfg = load_config("configs/seed002_bilayer.yaml", overrides=["physics.temperature=313"])
"""

from __future__ import annotations

import copy
import hashlib
import math
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import Field, ValidationError

from sim.config.base import FileName, Strict
from sim.config.cathode import CathodePhysics
from sim.config.experiment import Chronoamperometry, Experiment, Impedance
from sim.config.geometry import GeometryConfig
from sim.config.grand_potential import inapplicable
from sim.config.loader import (
    ConfigError,
    apply_override,
    format_path,
    load_yaml,
    locate,
    read_text,
    short_repr,
)
from sim.config.materials import MaterialCard, material_library, unknown_card
from sim.config.npp import FixedFlux, NppPhysics
from sim.config.phasefield import PhaseFieldPhysics
from sim.config.physics import ConductionPhysics, NewtonConfig, OutputConfig, SolverConfig
from sim.config.shapes import fmt_length
from sim.physics.model import unsupported

PhysicsConfig = Annotated[
    ConductionPhysics | NppPhysics | CathodePhysics | PhaseFieldPhysics, Field(discriminator="kind")
]

MIN_CONDUCTIVITY = 1e-30
"""S/m: a card whose σ(T) falls below this at the run temperature is refused"""
ADAPTIVE_FORMULATIONS = {"chen2015", "electroneutral", "grand_potential"}
"""phase-field formulations whose model can move to an adapted mesh (sim.adaptive.Adaptable)"""

__all__ = [
    "ConfigError",
    "LoadedConfig",
    "RunConfig",
    "load_config",
    "material_library",
    "resumable",
    "schema",
]


def region_names(geometry: Any) -> list[str]:
    """Names of the cell regions a geometry will have (before meshing)."""
    kind = geometry.kind
    if kind in ("slab", "box"):
        return ["electrolyte"] + (["filler"] if geometry.inclusions else [])
    if kind == "layers":
        return [layer.name for layer in geometry.layers]
    if kind == "particles":
        return ["binder", "particle"] + (["ceramic"] if geometry.ceramic is not None else [])
    if kind == "dendrite":
        names = ["electrolyte"]
        names += ["nucleus"] if geometry.nuclei else []
        names += ["filament"] if geometry.filaments is not None else []
        return names
    if kind == "file":
        return list(geometry.regions)
    raise ValueError(f"unknown geometry kind {kind}")


IMPEDANCE_REFUSED_OUTPUT = ("fields", "formats")
"""output keys an impedance experiment refuses when given (it writes no field files) and so leaves
out of its resolved config, which must load again"""
POISSON_REFUSED_EXPERIMENT = ("double_layer_capacitance", "dielectric")
"""impedance keys refused (and left out of the resolved config) in NPP's Poisson mode, which
resolves the diffuse double layers and the displacement current itself"""


class RunConfig(Strict):
    """A complete run: geometry, materials per region, physics, solver and output."""

    name: FileName | None = None
    """run name (default: the config file name without .yaml); names results/<name>/, so it must be
    a plain file name (letters, digits, `_ . + - =`, at most 128 characters)"""
    description: str = ""
    """free text shown in the summary"""
    geometry: GeometryConfig
    """domain and mesh (lengths in m)"""
    materials: dict[str, str | MaterialCard]
    """region name → material: a card name from the library (`sim info --materials`) or an inline card"""
    physics: PhysicsConfig
    """the model to solve and its parameters"""
    solver: SolverConfig = SolverConfig()
    """solver settings"""
    output: OutputConfig = OutputConfig()
    """output settings"""
    experiment: Experiment | None = None
    """a virtual experiment run on this cell instead of the plain solve (impedance); null: none"""

    def cross_check(self) -> tuple[tuple, str] | None:
        """Checks across sections (regions ↔ materials); returns (key path, message) or None."""
        if (why := unsupported(self)) is not None:  # the model's declared capabilities
            return why
        for region, card in self.materials.items():
            if (unknown := unknown_card(card)) is not None:
                return ("materials", region), unknown
        for i, coat in enumerate(getattr(self.physics, "coatings", [])):
            if (unknown := unknown_card(coat.material)) is not None:
                return ("physics", "coatings", i, "material"), unknown
        tip, height = getattr(self.physics, "stop_at_tip", None), getattr(self.geometry, "height", None)
        if tip is not None and height is not None and tip >= height:
            return ("physics", "stop_at_tip"), (
                f"{fmt_length(tip)} is not below the counter electrode "
                f"(geometry.height = {fmt_length(height)})"
            )
        if isinstance(self.physics, PhaseFieldPhysics) and self.physics.formulation != "grand_potential":
            filaments = getattr(self.geometry, "filaments", None) is not None
            mechanics = self.physics.mechanics != "none"
            filament = self.physics.filament.problem() or self.physics.filament.unused(filaments, mechanics)
            if filament is not None:
                return ("physics", "filament", *filament[0]), filament[1]
        cells = self.geometry.cell_problem()
        if cells is not None:
            return ("geometry", "mesh"), cells
        regions = region_names(self.geometry)
        missing = [r for r in regions if r not in self.materials]
        if missing:
            return ("materials",), (
                f"no material for region(s) {', '.join(missing)} "
                f"(regions of this geometry: {', '.join(regions)})"
            )
        extra = [r for r in self.materials if r not in regions]
        if extra:
            return ("materials", extra[0]), (
                f"region '{extra[0]}' does not exist in this geometry (regions: {', '.join(regions)})"
            )
        return self._check_temperature(regions) or self._check_experiment()

    def _check_temperature(self, regions: list[str]) -> tuple[tuple, str] | None:
        """σ(T) of every region's card is defined, positive and finite at the run temperature
        (e.g. above a VFT card's T0), so a temperature outside a card's validity is exit 2."""
        temperature = getattr(self.physics, "temperature", None)
        if temperature is None:
            return None
        for region in regions:
            card = self.material(region)
            if card.conductivity is None and card.conductivity_model is None:
                continue
            label = f"material of region '{region}'"
            try:
                sigma = card.conductivity_at(temperature)
            except (ValueError, ArithmeticError) as exc:
                return ("physics", "temperature"), f"outside the validity of the {label}: {exc}"
            if not MIN_CONDUCTIVITY <= sigma < math.inf:
                return ("physics", "temperature"), (
                    f"the {label} gives σ({temperature} K) = {sigma:.3g} S/m, outside "
                    f"[{MIN_CONDUCTIVITY:g}, inf) S/m: outside its conductivity model's range"
                )
        return None

    def capability_check(self) -> tuple[tuple, str] | None:
        """What the chosen model cannot do with this geometry or these solver settings; returns
        (key path, message) or None. (A key that has no effect is an error unless it holds its
        default: the resolved config.yaml of a run lists every key.)"""
        phys, solver = self.physics, self.solver
        if phys.kind == "phasefield" and phys.formulation == "grand_potential":
            return inapplicable(self) or self._adaptivity_check()
        if phys.kind == "conduction" and solver.newton != NewtonConfig():
            why = "conduction is linear (one linear solve, no Newton): remove solver.newton"
            return ("solver", "newton"), why
        if isinstance(phys, PhaseFieldPhysics):
            problem = phys.electroneutral_problem() or phys.mechanics_problem() or phys.coating_problem()
            if problem:
                return ("physics", *problem[0]), problem[1]
            adaptivity = self._adaptivity_check()
            if adaptivity:
                return adaptivity
        impedance = self.experiment is not None and self.experiment.kind == "impedance"
        if isinstance(phys, CathodePhysics) and (phys.time is None) != impedance:
            if impedance:
                return ("physics", "time"), (
                    "an impedance experiment on the composite cathode linearises at rest: remove physics.time"
                )
            return ("physics",), "the composite cathode is transient: give physics.time"
        if not impedance and getattr(self.geometry, "ceramic", None) is not None:
            return ("geometry", "ceramic"), (
                "the ceramic phase is modelled by the impedance experiment only (the transient "
                "cathode model has binder and particles): remove geometry.ceramic"
            )
        time = getattr(phys, "time", None)
        if time is not None and time.checkpoint_every and getattr(phys, "element_degree", 1) != 1:
            why = "checkpoints hold P1 fields only (element_degree is 2)"
            return ("physics", "time", "checkpoint_every"), why
        return None

    def _adaptivity_check(self) -> tuple[tuple, str] | None:
        """What adaptive meshes (physics.adaptivity of a phase-field run) cannot do here, or None."""
        phys = self.physics
        if not isinstance(phys, PhaseFieldPhysics) or phys.adaptivity is None:
            return None
        if phys.formulation not in ADAPTIVE_FORMULATIONS:
            supported = " and ".join(sorted(ADAPTIVE_FORMULATIONS))
            why = f"adaptive meshes support formulations {supported} only (this is {phys.formulation})"
            return ("physics", "adaptivity"), why
        if phys.adaptivity.front_fraction is not None and phys.time.max_change is None:
            why = "front_fraction limits the step through time.max_change: give max_change"
            return ("physics", "adaptivity", "front_fraction"), why
        if "vtx" in self.output.formats:
            why = "a VTX (.bp) file holds one mesh: an adaptive run's fields are a VTK series (vtk)"
            return ("output", "formats"), why
        if phys.formulation == "grand_potential" and phys.noise_lattice is None:
            why = "an adaptive mesh changes its cells: draw the noise on a lattice (e.g. 0.5e-6 m)"
            return ("physics", "noise_lattice"), why
        return None

    def _check_experiment(self) -> tuple[tuple, str] | None:
        """What the impedance experiment supports (conduction, electroneutral NPP with Butler–Volmer
        or blocking electrodes, Poisson-mode NPP with blocking electrodes, slab/layers geometries);
        None when fine."""
        exp, phys = self.experiment, self.physics
        if exp is None:
            return None
        if exp.kind != "impedance":
            return self._check_step_experiment()
        if phys.kind not in ("conduction", "npp", "cathode"):
            return ("experiment", "kind"), (
                f"impedance needs physics kind conduction, npp or cathode, not {phys.kind}"
            )
        for key in IMPEDANCE_REFUSED_OUTPUT:
            if key in self.output.model_fields_set and (key == "formats" or self.output.fields):
                return ("output", key), (
                    "an impedance experiment writes no field files (its results are impedance.csv, "
                    "the Nyquist/Bode figures and summary.json): remove the key"
                )
        if self.geometry.kind not in ("slab", "layers", "particles"):
            return (
                "experiment",
                "kind",
            ), f"impedance supports slab, layers and particles geometries, not {self.geometry.kind}"
        if self.geometry.kind == "particles":
            return self._check_cathode_impedance()
        if phys.kind == "npp" and phys.mode == "poisson":
            if phys.reaction.kind != "blocking":
                return ("physics", "reaction", "kind"), (
                    f"impedance in mode poisson needs reaction kind blocking, not {phys.reaction.kind}"
                )
            if exp.perturbation != "potential":
                return ("experiment", "perturbation"), "mode poisson supports perturbation: potential"
            for key in POISSON_REFUSED_EXPERIMENT:
                if key in exp.model_fields_set:
                    return ("experiment", key), (
                        "mode poisson resolves the diffuse double layers and the displacement "
                        "current itself: remove the key"
                    )
        elif phys.kind == "npp":
            if phys.reaction.kind not in ("butler_volmer", "blocking"):
                return ("physics", "reaction", "kind"), (
                    f"impedance needs reaction kind butler_volmer or blocking, not {phys.reaction.kind} "
                    "(a fixed flux or reservoir does not respond to the electrode potential)"
                )
            if phys.reaction.kind == "blocking" and exp.double_layer_capacitance is None:
                return ("experiment", "double_layer_capacitance"), (
                    "blocking electrodes in the NPP model pass current only through the double "
                    "layer: give double_layer_capacitance"
                )
        if exp.dielectric:
            for region in self.materials:
                if self.material(region).relative_permittivity is None:
                    return ("experiment", "dielectric"), (
                        f"the card of region '{region}' has no relative_permittivity (needed for "
                        "the displacement current): add it or set dielectric: false"
                    )
        if phys.kind == "conduction" and None not in (phys.electrode_area, exp.electrode_area):
            return ("experiment", "electrode_area"), "give the electrode area once (physics.electrode_area)"
        return None

    def _check_cathode_impedance(self) -> tuple[tuple, str] | None:
        """What the composite-cathode spectrum (sim.experiments.cathode_split) needs: the cathode
        kind at rest, P1, ionic cards with εr (dielectric), a single-ion ceramic."""
        exp, phys = self.experiment, self.physics
        assert isinstance(exp, Impedance)
        if exp.perturbation != "potential":
            why = "the composite-cathode spectrum supports perturbation: potential"
            return ("experiment", "perturbation"), why
        if not isinstance(phys, CathodePhysics):
            return ("physics", "kind"), (
                "impedance on a particles geometry is the composite cathode: physics kind cathode"
            )
        if phys.element_degree != 1:
            return ("physics", "element_degree"), "the composite-cathode spectrum is P1 (element_degree 1)"
        if phys.interface.particle_initial_concentration <= 0.0:
            return ("physics", "interface", "particle_initial_concentration"), (
                "the spectrum is taken at rest at this lithiation: it must be positive (the "
                "open-circuit potential −(RT/F) ln(c_p/(K c0)) diverges at 0)"
            )
        if exp.warburg_region is not None:
            return ("experiment", "warburg_region"), (
                "seed 003's Warburg formula is for a film between two electrodes, not a composite cathode"
            )
        if "ceramic" in self.materials:
            card = self.material("ceramic")
            if card.transference_number is not None and card.si("transference_number") != 1.0:
                return ("materials", "ceramic"), (
                    "the ceramic phase is a single-ion conductor: its card's transference_number must be 1"
                )
            if card.conductivity is None and card.conductivity_model is None:
                return ("materials", "ceramic"), "the ceramic card needs a conductivity"
        if exp.dielectric:
            for region in ("binder", "ceramic"):
                if region in self.materials and self.material(region).relative_permittivity is None:
                    return ("experiment", "dielectric"), (
                        f"the card of region '{region}' has no relative_permittivity (needed for "
                        "the displacement current): add it or set dielectric: false"
                    )
        return None

    def _check_step_experiment(self) -> tuple[tuple, str] | None:
        """What chronoamperometry (Butler–Volmer, at rest before the step) and galvanostatic (a fixed
        flux the experiment sets) need: transient electroneutral NPP on slab/layers geometries."""
        exp, phys = self.experiment, self.physics
        assert exp is not None and exp.kind != "impedance"
        kind = exp.kind
        if phys.kind != "npp":
            return ("experiment", "kind"), f"{kind} needs physics kind npp, not {phys.kind}"
        if self.geometry.kind not in ("slab", "layers"):
            return (
                "experiment",
                "kind",
            ), f"{kind} supports slab and layers geometries, not {self.geometry.kind}"
        if phys.mode != "electroneutral":
            return ("physics", "mode"), f"{kind} needs mode electroneutral"
        if phys.time is None:
            return ("physics", "time"), f"{kind} needs physics.time (the window of the step)"
        if phys.time.checkpoint_every:
            return ("physics", "time", "checkpoint_every"), f"a {kind} experiment has no checkpoint"
        if phys.checks != "refuse":
            return ("physics", "checks"), f"checks has no effect in a {kind} experiment"
        if isinstance(exp, Chronoamperometry):
            if phys.reaction.kind != "butler_volmer":
                return ("physics", "reaction", "kind"), (
                    "chronoamperometry needs reaction kind butler_volmer (the electrode potential drives it)"
                )
            if phys.potential_difference != 0.0:
                return ("physics", "potential_difference"), (
                    "the cell is at rest before the step: potential_difference must be 0 "
                    "(the step is experiment.step)"
                )
            if exp.spectra.dielectric:
                for region in self.materials:
                    if self.material(region).relative_permittivity is None:
                        return ("experiment", "spectra", "dielectric"), (
                            f"the card of region '{region}' has no relative_permittivity"
                        )
            return None
        reaction = phys.reaction
        default = FixedFlux(kind="flux")
        if reaction != default or phys.flux_scale != 1.0:
            return ("physics", "reaction"), (
                "galvanostatic sets the Li⁺ flux from experiment.current_density: leave physics.reaction "
                "and flux_scale out (the default fixed flux)"
            )
        return None

    def material(self, region: str) -> MaterialCard:
        """The resolved card of a region."""
        card = self.materials[region]
        return material_library()[card] if isinstance(card, str) else card


RESUMABLE_KEYS: tuple[tuple[str, ...], ...] = (
    ("solver",),
    ("output", "figures"),
    ("output", "figure_width_px"),
    *(
        ("physics", "time", key)
        for key in (
            "t_end",
            "dt_initial",
            "dt_min",
            "dt_max",
            "growth",
            "shrink",
            "target_newton_iterations",
            "max_change",
            "max_steps",
            "output_every",
            "checkpoint_every",
            "error_tolerance",
        )
    ),
)
"""the keys (and sections) `sim run --resume DIR --set` may change: how the run goes on from its
checkpoint (solver, step control, end time, figures), not what the checkpointed state means. The
checkpoint's state hash (LoadedConfig.state_sha256) is taken without them: a key added here
changes the hash of every checkpoint written before, which then no longer resumes"""


def resumable(path: tuple[str | int, ...]) -> bool:
    """Whether the key path `path` lies inside one of RESUMABLE_KEYS."""
    return any(path[: len(key)] == key for key in RESUMABLE_KEYS)


def _without_resumable(data: dict[str, Any]) -> dict[str, Any]:
    """A copy of resolved config data without the RESUMABLE_KEYS."""
    data = copy.deepcopy(data)
    for *parents, last in RESUMABLE_KEYS:
        section: Any = data
        for part in parents:
            section = section.get(part) if isinstance(section, dict) else None
        if isinstance(section, dict):
            section.pop(last, None)
    return data


class LoadedConfig:
    """A validated config with its origin: the source file, resolved YAML text and its hash."""

    def __init__(self, config: RunConfig, file: Path | None, overrides: list[str]) -> None:
        self.config = config
        self.file = file
        self.overrides = overrides
        self.name = config.name or (file.stem if file else "run")
        # an impedance experiment writes no field files and refuses output.fields/formats, so its
        # resolved config (config.resolved.yaml, a sweep point's config) leaves them out to reload
        impedance = config.experiment is not None and config.experiment.kind == "impedance"
        exclude: dict | None = {"output": set(IMPEDANCE_REFUSED_OUTPUT)} if impedance else None
        if impedance and getattr(config.physics, "mode", None) == "poisson":
            exclude = (exclude or {}) | {"experiment": set(POISSON_REFUSED_EXPERIMENT)}
        resolved = config.model_dump(mode="json", exclude=exclude)
        self.resolved_yaml = yaml.safe_dump(resolved, sort_keys=False)
        self.sha256 = hashlib.sha256(self.resolved_yaml.encode()).hexdigest()
        state = yaml.safe_dump(_without_resumable(resolved), sort_keys=False)
        self.state_sha256 = hashlib.sha256(state.encode()).hexdigest()
        """the hash of what the checkpointed state means: the resolved config without the
        RESUMABLE_KEYS (a resume may change those)"""


def _first_error(exc: ValidationError, data: Any, lines: dict, file: str) -> ConfigError:
    errors = exc.errors(include_url=False)
    # In a union (e.g. card name | inline card) pydantic lists every member's error; the one that
    # is not a plain type mismatch is the one that explains the problem.
    err = next((e for e in errors if not e["type"].endswith("_type")), errors[0])
    path, line = locate(err["loc"], data, lines, err["type"] in ("extra_forbidden", "missing"))
    message = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        message = "unknown key"
    elif err["type"] == "missing":
        message = "required key is missing"
    elif (
        "input" in err
        and err["type"] not in ("model_type", "dict_type")
        and not isinstance(err["input"], (dict, list))
    ):
        message += f" (got {short_repr(err['input'])})"
    if len(errors) > 1:
        message += f" (+{len(errors) - 1} more error{'s' if len(errors) > 2 else ''})"
    return ConfigError(message, file, line, format_path(path) or None)


def load_config(file: str | Path, overrides: list[str] | None = None) -> LoadedConfig:
    """Read, override and validate a config file; raises ConfigError with file:line:key."""
    file = Path(file)
    data, lines = load_yaml(read_text(file), str(file))
    if not isinstance(data, dict):
        raise ConfigError(
            "a config must be a mapping of sections (geometry, materials, physics, ...)", str(file), 1
        )
    for assignment in overrides or []:
        apply_override(data, lines, assignment)
    try:
        config = RunConfig.model_validate(data, context={"base_dir": file.parent})
    except ValidationError as exc:
        raise _first_error(exc, data, lines, str(file)) from None
    problem = config.cross_check() or config.capability_check()
    if problem is not None:
        path, line = locate(problem[0], data, lines, absent_ok=True)
        raise ConfigError(problem[1], str(file), line, format_path(path))
    return LoadedConfig(config, file, list(overrides or []))


def schema() -> dict:
    """JSON Schema of the run config (for editors: yaml-language-server)."""
    return RunConfig.model_json_schema()
