#!/usr/bin/env python3
"""Validate a Ferry changeset folder against the JSON Schemas in Schemas/.

Usage: python3 scripts/validate-changeset.py CHANGESET_DIR [SCHEMAS_DIR]

SCHEMAS_DIR defaults to the Schemas folder of the repository (next to scripts/).

Checks, in order:
  * every *.schema.json in SCHEMAS_DIR is a valid draft 2020-12 schema;
  * manifest.json parses and conforms to manifest.schema.json (its $ref to
    profile.schema.json is resolved locally, never over the network);
  * every table file listed in the manifest exists, and its size, sha256 and
    line count match the manifest's bytes, sha256 and rows;
  * every line of every table file is one JSON object (strict JSON: no NaN or
    Infinity literals, no duplicate keys) conforming to record.schema.json.

On success prints "validated N files, M records" (N counts manifest.json and
the table files) and exits 0. Otherwise prints each error to stderr as
"FILE:LINE: message" (LINE 0 = the file as a whole) and exits 1.

Standard library + jsonschema (with its referencing dependency) only.
"""

import gzip
import hashlib
import json
import os
import re
import sys
from pathlib import Path

try:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError
    from referencing import Registry, Resource
except ImportError as exc:  # pragma: no cover
    sys.exit(f"validate-changeset: needs the jsonschema package ({exc}); pip install jsonschema")

MAX_ERRORS_PER_FILE = 50
SAFE_FILE = re.compile(r"^[A-Za-z0-9_%][A-Za-z0-9_.%-]*\.ndjson\.gz$")


class StrictJSONError(ValueError):
    pass


def _reject_constant(name):
    raise StrictJSONError(f"non-standard JSON constant {name}")


def _no_duplicates(pairs):
    obj = {}
    for key, value in pairs:
        if key in obj:
            raise StrictJSONError(f"duplicate key {key!r}")
        obj[key] = value
    return obj


def strict_loads(text):
    return json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_no_duplicates)


def json_path(error):
    path = "$"
    for part in error.absolute_path:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


class Report:
    def __init__(self):
        self.count = 0
        self.per_file = {}

    def error(self, file, line, message):
        n = self.per_file.get(file, 0) + 1
        self.per_file[file] = n
        self.count += 1
        if n <= MAX_ERRORS_PER_FILE:
            print(f"{file}:{line}: {message}", file=sys.stderr)
        elif n == MAX_ERRORS_PER_FILE + 1:
            print(f"{file}:{line}: further errors in this file not shown", file=sys.stderr)

    def schema_errors(self, validator, instance, file, line):
        errors = sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path)))
        for err in errors:
            self.error(file, line, f"{json_path(err)}: {err.message}")
        return not errors


def load_schemas(schemas_dir, report):
    """Load and check every schema; return (registry, {file name: schema})."""
    schemas = {}
    resources = []
    for path in sorted(schemas_dir.glob("*.schema.json")):
        try:
            schema = strict_loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            report.error(path, 0, f"cannot read schema: {exc}")
            continue
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as exc:
            report.error(path, 0, f"invalid schema: {json_path(exc)}: {exc.message}")
            continue
        schemas[path.name] = schema
        resource = Resource.from_contents(schema)
        resources.append((schema.get("$id", path.resolve().as_uri()), resource))
    # No `retrieve` callable: an unknown $ref fails instead of going to the network.
    return Registry().with_resources(resources), schemas


def main(argv):
    if len(argv) not in (2, 3) or argv[1] in ("-h", "--help"):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    changeset = Path(argv[1])
    schemas_dir = Path(argv[2]) if len(argv) == 3 else Path(__file__).resolve().parent.parent / "Schemas"
    report = Report()

    registry, schemas = load_schemas(schemas_dir, report)
    for needed in ("manifest.schema.json", "record.schema.json", "profile.schema.json"):
        if needed not in schemas and not report.per_file.get(schemas_dir / needed):
            report.error(schemas_dir / needed, 0, "schema not found")
    if report.count:
        return 1

    fmt = Draft202012Validator.FORMAT_CHECKER
    manifest_validator = Draft202012Validator(schemas["manifest.schema.json"], registry=registry, format_checker=fmt)
    record_validator = Draft202012Validator(schemas["record.schema.json"], registry=registry, format_checker=fmt)

    manifest_path = changeset / "manifest.json"
    try:
        manifest = strict_loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        report.error(manifest_path, 0, f"cannot read manifest: {exc}")
        return 1
    report.schema_errors(manifest_validator, manifest, manifest_path, 0)
    files = 1
    records = 0

    tables = manifest.get("tables") if isinstance(manifest, dict) else None
    if not isinstance(tables, list):
        return 1 if report.count else 0
    seen_names, seen_files = set(), set()
    for index, table in enumerate(tables):
        if not isinstance(table, dict):
            continue
        name, file = table.get("name"), table.get("file")
        where = f"$.tables[{index}]"
        if name in seen_names:
            report.error(manifest_path, 0, f"{where}.name: duplicate table {name!r}")
        seen_names.add(name)
        if not isinstance(file, str) or not SAFE_FILE.match(file):
            continue  # already reported by the schema; never open an unsafe path
        if file in seen_files:
            report.error(manifest_path, 0, f"{where}.file: duplicate file {file!r}")
            continue
        seen_files.add(file)
        path = changeset / file
        if not path.is_file():
            report.error(path, 0, f"table file listed in the manifest ({where}) is missing")
            continue

        digest = hashlib.sha256()
        with open(path, "rb") as raw:
            for chunk in iter(lambda: raw.read(1 << 20), b""):
                digest.update(chunk)
        size = os.path.getsize(path)
        if isinstance(table.get("bytes"), int) and table["bytes"] != size:
            report.error(path, 0, f"size is {size} bytes, manifest says {table['bytes']}")
        if isinstance(table.get("sha256"), str) and table["sha256"] != digest.hexdigest():
            report.error(path, 0, f"sha256 is {digest.hexdigest()}, manifest says {table['sha256']}")

        lines = 0
        try:
            with gzip.open(path, "rb") as stream:
                for lines, raw_line in enumerate(stream, start=1):
                    try:
                        text = raw_line.decode("utf-8")
                    except UnicodeDecodeError as exc:
                        report.error(path, lines, f"not UTF-8: {exc}")
                        continue
                    if not text.strip():
                        report.error(path, lines, "empty line")
                        continue
                    try:
                        record = strict_loads(text)
                    except ValueError as exc:
                        report.error(path, lines, f"not valid JSON: {exc}")
                        continue
                    report.schema_errors(record_validator, record, path, lines)
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            report.error(path, lines, f"cannot read gzip stream: {exc}")
        if isinstance(table.get("rows"), int) and table["rows"] != lines:
            report.error(path, 0, f"has {lines} lines, manifest says rows = {table['rows']}")
        files += 1
        records += lines

    if report.count:
        return 1
    print(f"validated {files} files, {records} records")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
