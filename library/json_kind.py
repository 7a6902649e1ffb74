"""How a message names the kind of a JSON value ("expected a list, got a string"): one wording
for settings files, collections.json and every other JSON an archivist writes."""
from __future__ import annotations


def json_kind(value: object) -> str:
    """"a string", "a list", "null" ...: the kind of ``value`` as a JSON reader names it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
