"""The engine's contract (Camel's camel-api): the Exchange a route carries, the
Processor a step calls, the Component a URI scheme names, the Endpoint it makes and
the Producer and Consumer that send to and read from it, and the resolver that finds
a scheme's component. ``routes/`` and ``components/`` both build on this package;
it imports neither."""
