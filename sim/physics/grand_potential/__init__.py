"""Grand-potential phase-field model (Hong & Viswanathan 2018; Ahmad, Hong & Viswanathan 2020):
forms (`forms`), parameter cards (`card`) and the `sim run` model (`model`, selected by
`physics.formulation: grand_potential`)."""
