"""What operators run beside the services (``app.py reconcile``, ``app.py
dead-letters``) and the ingestion service runs on a timer: reconciliation with the
bank's bookings (statements, the booking index), the dead letters and re-driving them."""
