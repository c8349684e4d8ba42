"""Grand-potential phase-field model (Hong & Viswanathan 2018; Ahmad, Hong & Viswanathan 2020):
forms (`forms`) and parameter cards (`card`). Not yet a `sim run` kind: it waits for the model
protocol."""
