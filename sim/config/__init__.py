"""Run configs: YAML → typed, validated models (SI units), with file:line error messages.

cfg = load_config("configs/seed002_bilayer.yaml", overrides=["physics.temperature=313"])
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import Field, ValidationError

from sim.config.base import Strict
from sim.config.geometry import GeometryConfig
from sim.config.loader import ConfigError, apply_override, format_path, load_yaml, locate, read_text
from sim.config.materials import MaterialCard
from sim.config.npp import NppPhysics
from sim.config.phasefield import PhaseFieldPhysics
from sim.config.physics import ConductionPhysics, OutputConfig, SolverConfig

PhysicsConfig = Annotated[ConductionPhysics | NppPhysics | PhaseFieldPhysics, Field(discriminator="kind")]

__all__ = ["ConfigError", "LoadedConfig", "RunConfig", "load_config", "material_library", "schema"]


@cache
def material_library() -> dict[str, MaterialCard]:
    """The named material cards shipped in sim/data/materials.yaml."""
    text = resources.files("sim").joinpath("data/materials.yaml").read_text()
    data, _ = load_yaml(text, "sim/data/materials.yaml")
    return {name: MaterialCard.model_validate(card) for name, card in data.items()}


def region_names(geometry: Any) -> list[str]:
    """Names of the cell regions a geometry will have (before meshing)."""
    kind = geometry.kind
    if kind in ("slab", "box"):
        return ["electrolyte"] + (["filler"] if geometry.inclusions else [])
    if kind == "layers":
        return [layer.name for layer in geometry.layers]
    if kind == "particles":
        return ["binder", "particle"]
    if kind == "dendrite":
        names = ["electrolyte"]
        names += ["nucleus"] if geometry.nuclei else []
        names += ["filament"] if geometry.filaments is not None else []
        return names
    raise ValueError(f"unknown geometry kind {kind}")


class RunConfig(Strict):
    """A complete run: geometry, materials per region, physics, solver and output."""

    name: str | None = None
    """run name (default: the config file name without .yaml); names results/<name>/"""
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

    def cross_check(self) -> tuple[tuple, str] | None:
        """Checks across sections (regions ↔ materials); returns (key path, message) or None."""
        if self.geometry.kind == "box" and self.physics.kind != "conduction":
            return (
                "geometry",
                "kind",
            ), "the 3D box geometry runs conduction only (npp and phasefield are 2D)"
        library = material_library()
        for region, card in self.materials.items():
            if isinstance(card, str) and card not in library:
                return ("materials", region), (
                    f"unknown material card '{card}'; known: {', '.join(sorted(library))}"
                )
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
        return None

    def material(self, region: str) -> MaterialCard:
        """The resolved card of a region."""
        card = self.materials[region]
        return material_library()[card] if isinstance(card, str) else card


class LoadedConfig:
    """A validated config with its origin: the source file, resolved YAML text and its hash."""

    def __init__(self, config: RunConfig, file: Path | None, overrides: list[str]) -> None:
        self.config = config
        self.file = file
        self.overrides = overrides
        self.name = config.name or (file.stem if file else "run")
        self.resolved_yaml = yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False)
        self.sha256 = hashlib.sha256(self.resolved_yaml.encode()).hexdigest()


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
        message += f" (got {err['input']!r})"
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
        config = RunConfig.model_validate(data)
    except ValidationError as exc:
        raise _first_error(exc, data, lines, str(file)) from None
    problem = config.cross_check()
    if problem is not None:
        path, line = locate(problem[0], data, lines)
        raise ConfigError(problem[1], str(file), line, format_path(path))
    return LoadedConfig(config, file, list(overrides or []))


def schema() -> dict:
    """JSON Schema of the run config (for editors: yaml-language-server)."""
    return RunConfig.model_json_schema()
