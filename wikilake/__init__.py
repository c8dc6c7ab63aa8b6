"""wikilake: CLI, AWS operations, local runner and local query engine."""
