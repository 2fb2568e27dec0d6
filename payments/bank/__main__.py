"""``python -m payments.bank``: run the simulated bank service (``GATEWAY_*`` settings)."""

from payments.bank.service import main

main()
