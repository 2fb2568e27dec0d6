"""The composition root: a service (``ingest``, ``process`` or ``all``) assembled from
settings (``build``), the payment routes it runs (``flow``), who may call which of its
paths (``access``), its metrics, and the Kafka topics it creates."""
