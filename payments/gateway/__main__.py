"""``python -m payments.gateway``: run the simulated bank service (``GATEWAY_*`` settings)."""

from payments.gateway.service import main

main()
