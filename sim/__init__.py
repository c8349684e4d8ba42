"""sim: finite-element multiphysics for solid-state Li-metal battery electrolytes."""

__version__ = "0.1.0"
