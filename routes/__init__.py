"""Routes: the route model, the Python DSL, YAML loading and the engine that runs them."""
