"""Configuration: service settings (``settings``) and integrators' YAML routes (``routes/``)."""
