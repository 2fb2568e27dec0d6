"""Routes written in Camel 4's YAML DSL (``loader``), and the JSON Schema of what it
accepts (``schema``)."""

from routes.yaml.loader import RouteConfigError, load_route_directory, load_routes
from routes.yaml.placeholders import settings_properties

__all__ = ["RouteConfigError", "load_route_directory", "load_routes", "settings_properties"]
