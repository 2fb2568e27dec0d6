"""Payment files: a client's ISO 20022 pain.001 split into payment orders (``intake``),
and the pain.002 status report and summary that follow them (``report``). Run by the
ingestion service, through the routes of ``config/routes/ingest/files.yaml``."""
