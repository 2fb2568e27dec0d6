"""The simulated bank, a service of its own (``python app.py gateway``, ``python -m
payments.bank``): a ledger that honours idempotency keys, with seeded failures, and its
web service. It stands in for a real bank in ``app.py all``, the tests and the benchmark."""

from payments.bank.service import BankSettings, create_bank_app, load_bank_settings
from payments.bank.simulated import Booking, SimulatedBank

__all__ = ["BankSettings", "Booking", "SimulatedBank", "create_bank_app", "load_bank_settings"]
