"""The payment services' fixtures, shared with the fuzz tests."""

from tests.payments.conftest import client, start_service, tenant

__all__ = ["client", "start_service", "tenant"]
