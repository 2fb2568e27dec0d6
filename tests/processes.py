"""Services of the orchestrator as real processes, for tests (see ``infra.services``)."""

from infra.services import ROOT, ServiceProcess, ServiceStarter, service_processes

__all__ = ["ROOT", "ServiceProcess", "ServiceStarter", "service_processes"]
