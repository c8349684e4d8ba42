"""Parameter sweeps: sweep files (spec), a local process pool and SLURM job arrays as backends,
the sweep directory (store) and collection into a table and plots (collect)."""
