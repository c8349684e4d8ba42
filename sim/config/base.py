"""Shared pydantic building blocks for config models (strict: unknown keys are errors)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Positive = Annotated[float, Field(gt=0)]
NonNegative = Annotated[float, Field(ge=0)]
Length = Annotated[float, Field(gt=0, description="length in m")]


class Strict(BaseModel):
    """Base for every config section: unknown keys and wrong types are rejected."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, use_attribute_docstrings=True)
