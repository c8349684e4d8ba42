"""Virtual experiments on a cell (issue 12): impedance spectra from the models' residuals."""
