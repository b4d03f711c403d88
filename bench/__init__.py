"""RADEX benchmarks: one ``bench_*.py`` module per measured capability (see bench/README.md)."""
