"""Loopback stand-ins for the platforms' APIs: every request is validated against the platform's published API
description in ../shared/schemas (botocore's model for SES) and answered as the documentation says.

Where ../shared/schemas has no description (Mailchimp, Campaign Monitor) the checks are written from
../shared/docs/platforms.md and the platforms' docs, and say so.
"""

from __future__ import annotations

import email.parser
import email.policy
import itertools
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

SECRET = "s3cr3t-Key-do-not-print-us21"


@dataclass
class Request:
    """One request as the server saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    data: Any = None  # JSON, or the form fields (files as (filename, bytes))


Answer = tuple[int, Any, dict[str, str]]
Handler = Callable[[Request, re.Match[str]], Answer]


@dataclass
class Api:
    """A platform's API on 127.0.0.1: routes, validators, drafts, and answers queued by a test."""

    name: str
    routes: list[tuple[str, str, Callable[[Request], list[str]], Handler]]
    auth: Callable[[Request], bool]
    requests: list[Request] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    queued: list[Answer] = field(default_factory=list)
    drafts: dict[str, Any] = field(default_factory=dict)
    ids: itertools.count = field(default_factory=lambda: itertools.count(101))
    url: str = ""

    def handle(self, req: Request) -> Answer:
        """Answer a request: 401 for bad credentials, then a queued answer, then 422 if invalid, then the route."""
        self.requests.append(req)
        for method, pattern, validate, handler in self.routes:
            match = re.fullmatch(pattern, req.path)
            if method == req.method and match:
                if not self.auth(req):
                    return 401, {"message": "Invalid API key"}, {}
                if self.queued:
                    return self.queued.pop(0)
                found = validate(req)
                if found:
                    self.problems.extend(f"{req.method} {req.path}: {p}" for p in found)
                    return 422, {"message": "; ".join(found)}, {}
                return handler(req, match)
        self.problems.append(f"no such endpoint: {req.method} {req.path}")
        return 404, {"message": "Not found"}, {}

    def new_id(self) -> str:
        """Return the next draft id."""
        return str(next(self.ids))


def _parse(headers: dict[str, str], body: bytes) -> Any:
    """Parse a JSON, urlencoded or multipart body."""
    kind = headers.get("content-type", "")
    if not body:
        return None
    if kind.startswith("application/json"):
        return json.loads(body)
    if kind.startswith("application/x-www-form-urlencoded"):
        return {k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
    if kind.startswith("multipart/form-data"):
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            f"Content-Type: {kind}\r\n\r\n".encode() + body)
        fields: dict[str, Any] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            filename = part.get_filename()
            payload = part.get_payload(decode=True)
            fields[name] = (filename, payload) if filename else payload.decode("utf-8")
        return fields
    return body


def serve(api: Api) -> tuple[ThreadingHTTPServer, threading.Thread]:
    """Start the API on a free loopback port."""

    class Handle(BaseHTTPRequestHandler):
        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            path = urlsplit(self.path).path
            try:
                req = Request(self.command, path, headers, body, _parse(headers, body))
                status, data, extra = api.handle(req)
            except Exception as exc:  # a broken request body is the client's fault: say so, as an API does
                api.problems.append(f"{self.command} {path}: unreadable body: {exc}")
                status, data, extra = 400, {"message": f"unreadable body: {exc}"}, {}
            raw = b"" if data is None else json.dumps(data).encode()
            self.send_response(status)
            for key, value in extra.items():
                self.send_header(key, value)
            self.send_header("Content-Type", extra.get("Content-Type", "application/json"))
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any

        def log_message(self, *args: Any) -> None:
            """Keep test output quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handle)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    api.url = f"http://127.0.0.1:{server.server_address[1]}"
    return server, thread


# --- validators --------------------------------------------------------------------------------------------

def openapi31(document: dict, pointer: str) -> Callable[[Any], list[str]]:
    """Return a validator for a schema inside an OpenAPI 3.1 document (Draft 2020-12)."""
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    registry = Registry().with_resource("urn:spec", Resource.from_contents(document, default_specification=DRAFT202012))
    validator = Draft202012Validator({"$ref": f"urn:spec#{pointer}"}, registry=registry)
    return lambda data: [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(data)]


def oas30(document: dict, schema: dict) -> Callable[[Any], list[str]]:
    """Return a validator for an OpenAPI 3.0 schema object whose $refs point into the document."""
    from openapi_schema_validator import OAS30Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4

    registry = Registry().with_resource("urn:spec", Resource.from_contents(document, default_specification=DRAFT4))
    rewritten = json.loads(json.dumps(schema).replace('"#/', '"urn:spec#/'))
    validator = OAS30Validator(rewritten, registry=registry)
    return lambda data: [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(data)]


def swagger2(document: dict, definition: str, drop_required: bool = False) -> Callable[[Any], list[str]]:
    """Return a validator for a Swagger 2.0 definition (JSON Schema draft 4 with #/definitions refs)."""
    from jsonschema import Draft4Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4

    registry = Registry().with_resource("urn:spec", Resource.from_contents(document, default_specification=DRAFT4))
    schema: dict[str, Any] = {"$ref": f"urn:spec#/definitions/{definition}"}
    if drop_required:
        schema = {k: v for k, v in document["definitions"][definition].items() if k != "required"}
        schema = json.loads(json.dumps(schema).replace('"#/', '"urn:spec#/'))
    validator = Draft4Validator(schema, registry=registry)
    return lambda data: [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(data)]


def json_body(check: Callable[[Any], list[str]]) -> Callable[[Request], list[str]]:
    """Require a JSON body and validate it."""
    def validate(req: Request) -> list[str]:
        if not req.headers.get("content-type", "").startswith("application/json"):
            return [f"expected a JSON body, got {req.headers.get('content-type', 'none')}"]
        return check(req.data)
    return validate


def multipart(check: Callable[[Any], list[str]]) -> Callable[[Request], list[str]]:
    """Require a multipart/form-data body (as the API description says) and validate its fields."""
    def validate(req: Request) -> list[str]:
        if not req.headers.get("content-type", "").startswith("multipart/form-data"):
            return [f"expected multipart/form-data, got {req.headers.get('content-type', 'none')}"]
        return check({k: v if isinstance(v, str) else "<file>" for k, v in req.data.items()})
    return validate


def no_body(req: Request) -> list[str]:
    """Accept a request without a body."""
    return [] if not req.body else ["this request takes no body"]


def load(shared: Path, name: str) -> dict:
    """Load an API description from ../shared/schemas."""
    path = shared / "schemas" / name
    text = path.read_text(encoding="utf-8")
    return json.loads(text) if name.endswith(".json") else yaml.safe_load(text)
