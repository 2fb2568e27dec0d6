"""Routes written in Camel 4's YAML DSL (``loader``), and the JSON Schema of what it
accepts (``schema``)."""

from routes.yaml.loader import RouteConfigError, load_route_directory, load_routes, route_files
from routes.yaml.placeholders import settings_properties

__all__ = [
    "RouteConfigError",
    "load_route_directory",
    "load_routes",
    "route_files",
    "settings_properties",
]
