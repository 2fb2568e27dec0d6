"""Apache Kafka in KRaft mode, one node acting as broker and controller.

Installed from Maven Central: ``mvn dependency:copy-dependencies`` on a small pom
gives the broker's whole class path, run on the machine's JDK (17+).
"""

from __future__ import annotations

import base64
import os
import shutil
import uuid
from pathlib import Path

from infra.probes import kafka_broker_count
from infra.server import HOST, InfraError, ManagedServer, run_logged

KAFKA_VERSION = os.environ.get("KAFKA_VERSION", "4.0.2")
_POM = Path(__file__).with_name("kafka-pom.xml")

_LOG4J2 = """\
status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
logger.state.name = state.change.logger
logger.state.level = WARN
logger.requests.name = kafka.request.logger
logger.requests.level = WARN
"""


def new_cluster_id() -> str:
    """A KRaft cluster id: a random UUID in URL-safe base64, as ``kafka-storage
    random-uuid`` makes one (it begins with "-" one time in 64)."""
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()


class Kafka(ManagedServer):
    name = "kafka"
    port_names = ("KAFKA_PORT", "KAFKA_CONTROLLER_PORT")
    start_timeout_s = 90.0

    @property
    def _libs(self) -> Path:
        return self.cache_dir / f"kafka-{KAFKA_VERSION}" / "libs"

    def installed(self) -> bool:
        return (self._libs / ".complete").exists()

    def install(self) -> None:
        if shutil.which("mvn") is None or shutil.which("java") is None:
            raise InfraError("Kafka needs a JDK 17+ (`java`) and Maven (`mvn`) on PATH")
        self._libs.mkdir(parents=True, exist_ok=True)
        run_logged(
            [
                "mvn",
                "-q",
                "-B",
                "-f",
                str(_POM),
                "dependency:copy-dependencies",
                f"-Dkafka.version={KAFKA_VERSION}",
                "-DincludeScope=runtime",
                f"-DoutputDirectory={self._libs}",
            ],
            self._libs.parent / "install.log",
            f"installing Kafka {KAFKA_VERSION} with Maven",
        )
        (self._libs / ".complete").write_text(KAFKA_VERSION)

    def version(self) -> str:
        return f"Apache Kafka {KAFKA_VERSION} (KRaft)"

    @property
    def _properties(self) -> Path:
        return self.home / "server.properties"

    def prepare(self) -> None:
        ports = self.ports()
        broker, controller = ports["KAFKA_PORT"], ports["KAFKA_CONTROLLER_PORT"]
        self._properties.write_text(f"""\
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@{HOST}:{controller}
listeners=PLAINTEXT://{HOST}:{broker},CONTROLLER://{HOST}:{controller}
advertised.listeners=PLAINTEXT://{HOST}:{broker}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs={self.data_dir}
auto.create.topics.enable=false
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=12
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
log.retention.hours=24
""")
        (self.home / "log4j2.properties").write_text(_LOG4J2)
        if (self.data_dir / "meta.properties").exists():
            return
        cluster_id = new_cluster_id()
        run_logged(
            [
                *self._java(),
                "kafka.tools.StorageTool",
                "format",
                "--ignore-formatted",
                # One argument: a random id may begin with "-", which the tool's
                # parser would read as an option of its own.
                f"--cluster-id={cluster_id}",
                "-c",
                str(self._properties),
            ],
            self.home / "format.log",
            "formatting Kafka storage",
        )

    def _java(self) -> list[str]:
        """The JVM for a small local broker. C1 compiles alone: C2 spent 19 s of CPU in
        a broker's first three minutes, taken from everything else on two cores, for
        no gain in rate here (about 19,000 messages/s produced and consumed either way)."""
        heap = os.environ.get("KAFKA_HEAP", "768m")
        return [
            "java",
            f"-Xmx{heap}",
            f"-Xms{heap}",
            "-XX:+UseG1GC",
            "-XX:TieredStopAtLevel=1",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={self.home / 'log4j2.properties'}",
            "-cp",
            f"{self._libs}/*",
        ]

    def command(self) -> list[str]:
        return [*self._java(), "kafka.Kafka", str(self._properties)]

    def probe(self) -> bool:
        return kafka_broker_count(HOST, self.ports()["KAFKA_PORT"]) > 0

    def env(self) -> dict[str, str]:
        return {"KAFKA_BOOTSTRAP_SERVERS": f"{HOST}:{self.ports()['KAFKA_PORT']}"}
