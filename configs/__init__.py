"""The Hydra configs, importable as ``c2c_sim.configs`` in an installed package (Hydra's ``pkg://`` search
path needs a regular package); in a checkout they are read from this folder directly (c2c_sim.resources)."""
