"""Endpoints: what a URI resolves to; they make the producers and consumers of a route."""
