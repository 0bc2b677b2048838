"""Benchmarks of sessrec against a plain re-implementation of the original tutorial."""
