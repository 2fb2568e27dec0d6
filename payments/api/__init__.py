"""The HTTP API of the ingestion service (``ingest``, ``all``): what it answers for each
outcome and refusal, its read side, and its clients (keys, rate limits)."""
