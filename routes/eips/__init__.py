"""How the EIPs that hold steps or gather exchanges run: split, multicast and recipient
list, doTry, loop, aggregate, throttle; and what several steps share (Camel's header
patterns, body conversions). ``routes.builder`` wires each step's definition to these."""
