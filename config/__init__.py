"""Configuration: service settings (``settings``), the event loop every process runs on
(``event_loop``) and integrators' YAML routes (``routes/``)."""
