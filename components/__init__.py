"""Components: one per URI scheme, each turning a URI into an endpoint."""
