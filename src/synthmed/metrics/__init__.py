"""Metrics: classification summaries with trivial-predictor diagnostics, and (per chapter) generative metrics."""
