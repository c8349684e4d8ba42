"""Shared pydantic building blocks for config models (strict: unknown keys are errors).

Every float of a config is finite (`allow_inf_nan=False`, and the YAML reader refuses `.nan`,
`.inf` and overflowing literals); the quantities below also carry physical bounds, so a value that
would only fail inside gmsh, the JIT or the solver is refused at validation.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

Positive = Annotated[float, Field(gt=0)]
NonNegative = Annotated[float, Field(ge=0)]
MIN_LENGTH, MAX_LENGTH = 1e-12, 1.0


def _not_tiny(value: float) -> float:
    if value < MIN_LENGTH:
        raise ValueError(f"a length of {value:g} m is below {MIN_LENGTH:g} m")
    return value


Length = Annotated[
    float,
    Field(gt=0, le=MAX_LENGTH, description="length in m, from 1e-12 m to 1 m"),
    AfterValidator(_not_tiny),
]
MIN_TEMPERATURE, MAX_TEMPERATURE = 100.0, 2000.0
Temperature = Annotated[
    float, Field(ge=MIN_TEMPERATURE, le=MAX_TEMPERATURE, description="temperature in K, 100 K to 2000 K")
]
MAX_POTENTIAL = 10.0
Potential = Annotated[
    float,
    Field(ge=-MAX_POTENTIAL, le=MAX_POTENTIAL, description="potential in V, |φ| ≤ 10 V (any cell voltage)"),
]
MAX_NAME = 128
_NAME = re.compile(r"[\w][\w.+=-]*")


def check_file_name(value: str) -> str:
    """A run/sweep name is a plain file name: letters, digits, `_ . + - =`, not starting with `.` or
    `-`, at most MAX_NAME characters (it names results/<name>/, which must not escape results/)."""
    if len(value) > MAX_NAME:
        raise ValueError(f"name of {len(value)} characters is too long (at most {MAX_NAME})")
    if not _NAME.fullmatch(value):
        raise ValueError(
            f"name {value[:60]!r} is not a plain file name (letters, digits and _ . + - =; "
            "no '/', no leading '.' or '-')"
        )
    return value


FileName = Annotated[str, AfterValidator(check_file_name)]


class Strict(BaseModel):
    """Base for every config section: unknown keys, wrong types and non-finite numbers are rejected."""

    model_config = ConfigDict(
        extra="forbid", validate_assignment=True, use_attribute_docstrings=True, allow_inf_nan=False
    )

    def changed(self, keys: Iterable[str]) -> list[str]:
        """Those of `keys` (in their order) whose value is not the field's default: "given" for a
        key that must not be (a run's resolved config.yaml lists every key at its default)."""
        fields = type(self).model_fields
        return [k for k in keys if getattr(self, k) != fields[k].get_default(call_default_factory=True)]
