"""Benchmarks: each runs its contenders side by side against one local service and prints
ratios, never absolute targets (see ``README.md``, "Benchmarks")."""
