"""Metrics, logs and traces of a service built on the engine; nothing payment-specific."""
