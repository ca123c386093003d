"""Side-by-side benchmarks; run as `python -m benchmarks.<name>`."""
