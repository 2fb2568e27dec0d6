"""ISO 20022 customer payment files: a pain.001 read (``pain001``) and the pain.002 that
answers it written (``pain002``), against the official schemas. Transport-free: what
reads an upload or serves a report adapts these."""
