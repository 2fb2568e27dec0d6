"""The ISO 20022 messages the orchestrator reads, by namespace, and their official XSDs
(as the ``sepaxml`` package ships them): pain.001.001.03 and pain.001.001.09."""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path

import xmlschema
from lxml import etree

# Customer Credit Transfer Initiation, by the namespace its Document is in.
PAIN_001 = {
    f"urn:iso:std:iso:20022:tech:xsd:{message}": message
    for message in ("pain.001.001.03", "pain.001.001.09")
}


def xsd_path(message: str) -> Path:
    return Path(str(files("sepaxml") / "schemas" / f"{message}.xsd"))


@cache
def validator(message: str) -> etree.XMLSchema:
    """The message's XSD as lxml validates with it, while it parses."""
    return etree.XMLSchema(etree.parse(str(xsd_path(message)), etree.XMLParser(no_network=True)))


@cache
def locator(message: str) -> xmlschema.XMLSchema:
    """The same XSD as ``xmlschema`` reads it: slower than lxml, but it names the line
    and the element of what it refuses."""
    return xmlschema.XMLSchema(str(xsd_path(message)))
