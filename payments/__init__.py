"""The payment order domain, built on the routing engine: nothing in the engine knows it."""
