"""`formulation: electroneutral` of the phase-field model: forms, problem, model (issue 10)."""
