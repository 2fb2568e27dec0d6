"""The composition root: a service (``ingest``, ``process`` or ``all``) assembled from
settings (``build``), the payment flow it loads (``flow``), the beans its routes name
(``beans``) and the promises they must keep (``safety``), who may call which of its
paths (``access``), its metrics, and the Kafka topics it creates."""
