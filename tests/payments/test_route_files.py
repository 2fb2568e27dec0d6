"""Route files in the service's routes folder: Camel 4's YAML DSL beside the payment
routes, their placeholders read from the settings (``{{http.host}}``), then the
environment."""

from __future__ import annotations

from pathlib import Path

from payments.service.build import PaymentService
from tests.payments.conftest import StartService, routes_beside_the_flow

ROUTE = """\
- route:
    id: settings-placeholder
    from:
      uri: "timer:placeholder?delay={{placeholder.delay:1h}}"
      steps:
        - setHeader: {name: host, constant: "{{http.host}}"}
        - setHeader: {name: prefix, constant: "{{kafka_topic_prefix}}x"}
"""


async def test_a_route_file_reads_the_settings_through_placeholders(
    start_service: StartService, tmp_path: Path
) -> None:
    (tmp_path / "placeholders.yaml").write_text(ROUTE)
    routes = routes_beside_the_flow(tmp_path / "routes", tmp_path / "placeholders.yaml")
    service: PaymentService = await start_service("all", routes_dir=routes)
    described = {graph.route_id: graph for graph in service.engine.describe().routes}
    graph = described["settings-placeholder"]
    assert graph.from_uri == "timer:placeholder?delay=1h"
    prefix = service.settings.kafka_topic_prefix
    assert [node.label for node in graph.steps] == [
        f"host = '{service.settings.http_host}'",
        f"prefix = '{prefix}x'",
    ]
