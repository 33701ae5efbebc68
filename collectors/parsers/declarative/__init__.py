"""Declarative parsers: a device format in one YAML file, loaded at start-up, no Python.

``load_declarative(dirs)`` registers the site's definitions and the shipped ones
(``shipped/*.yaml``) in the parser registry, after checking each file (errors name
``file.yaml:LINE``) and parsing its sample lines. The schema and a worked example are in
``collectors/parsers/README.md``; ``python -m collectors.parsers.declarative DIR`` checks
definitions from the command line.
"""

from __future__ import annotations

from collectors.parsers.declarative.engine import DeclarativeParser, make_parser
from collectors.parsers.declarative.loader import (
    SHIPPED_DIR,
    LoadResult,
    declared,
    load_declarative,
    load_dirs,
    load_shipped,
    unload,
    unload_all,
)
from collectors.parsers.declarative.schema import Definition, DefinitionError, read_definition

__all__ = [
    "SHIPPED_DIR",
    "DeclarativeParser",
    "Definition",
    "DefinitionError",
    "LoadResult",
    "declared",
    "load_declarative",
    "load_dirs",
    "load_shipped",
    "make_parser",
    "read_definition",
    "unload",
    "unload_all",
]
