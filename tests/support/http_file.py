"""Read api-tests.http (VS Code REST Client format) into requests with their expected outcomes.

The REST Client syntax used: `@name = value` variables, `{{name}}` references, `###` between requests, a
method line, header lines, a blank line, then the body up to the next `###`. Our own expectations ride in
comment lines the REST Client ignores (`# @expect 200`, see the file's header). Anything this reader does not
understand is an error, so the file cannot drift into requests that are silently skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

_METHOD_LINE = re.compile(r"^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) (\S+)(?: HTTP/1\.1)?$")
_VARIABLE = re.compile(r"^@([A-Za-z_][\w-]*)\s*=\s*(.*)$")
_REFERENCE = re.compile(r"\{\{\s*([A-Za-z_][\w-]*)\s*\}\}")
_DIRECTIVE = re.compile(r"^#\s*@([\w-]+)\s*(.*)$")
_HEADER = re.compile(r"^([A-Za-z0-9-]+):\s*(.*)$")
_TYPES = frozenset({"string", "array", "object", "html", "text"})
_REQUEST_DIRECTIVES = frozenset(
    {"expect", "expect-error", "expect-type", "expect-keys", "expect-headers", "server", "background"}
)


class HttpFileError(ValueError):
    pass


@dataclass(frozen=True)
class HttpRequest:
    title: str
    line: int
    method: str
    url: str
    headers: dict[str, str]
    body: str
    expect_status: int
    expect_error: str | None = None
    expect_type: str | None = None
    expect_keys: tuple[str, ...] | None = None
    expect_headers: tuple[str, ...] = ()
    server: str = "default"
    background: bool = False

    def describe(self) -> str:
        return f"line {self.line} ({self.title}): {self.method} {self.url}"


@dataclass
class HttpFile:
    variables: dict[str, str]
    profiles: dict[str, dict[str, str]]
    requests: list[HttpRequest] = field(default_factory=list)


def _substitute(text: str, variables: dict[str, str], line: int) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in variables:
            raise HttpFileError(f"line {line}: undefined variable {{{{{name}}}}}")
        return variables[name]

    return _REFERENCE.sub(value, text)


def _profile(rest: str, line: int) -> tuple[str, dict[str, str]]:
    name, *assignments = rest.split()
    settings = {}
    for assignment in assignments:
        key, sep, value = assignment.partition("=")
        if not sep:
            raise HttpFileError(f"line {line}: profile setting {assignment!r} is not NAME=VALUE")
        settings[key] = value
    return name, settings


def _blocks(lines: list[str]) -> list[tuple[int, str, list[tuple[int, str]]]]:
    """(line of the separator, title, [(line number, text), ...]) for each `###` block; the first is the
    preamble before any separator (line 0)."""
    blocks: list[tuple[int, str, list[tuple[int, str]]]] = [(0, "", [])]
    for number, text in enumerate(lines, start=1):
        if text.startswith("###"):
            blocks.append((number, text.strip("# ").strip(), []))
        else:
            blocks[-1][2].append((number, text))
    return blocks


def parse_http_file(path: Path, overrides: dict[str, str] | None = None) -> HttpFile:
    """Parse the file; `overrides` replace file variables (e.g. baseUrl pointing at a test server)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    variables: dict[str, str] = {}
    profiles: dict[str, dict[str, str]] = {}
    # Variables and profiles first: REST Client variables apply to the whole file wherever they stand.
    for number, text in enumerate(lines, start=1):
        if match := _VARIABLE.match(text):
            variables[match.group(1)] = match.group(2).strip()
        elif (match := _DIRECTIVE.match(text)) and match.group(1) == "profile":
            name, settings = _profile(match.group(2), number)
            profiles[name] = settings
    variables.update(overrides or {})
    parsed = HttpFile(variables=variables, profiles=profiles)
    for start, title, block in _blocks(lines):
        request = _parse_block(start, title, block, parsed)
        if request is not None:
            parsed.requests.append(request)
    return parsed


def _parse_block(
    start: int, title: str, block: list[tuple[int, str]], parsed: HttpFile
) -> HttpRequest | None:
    directives: dict[str, str] = {}
    method_at = None
    for index, (number, text) in enumerate(block):
        stripped = text.strip()
        if not stripped or _VARIABLE.match(text):
            continue
        if match := _DIRECTIVE.match(stripped):
            name = match.group(1)
            if name == "profile":
                continue
            if name not in _REQUEST_DIRECTIVES:
                raise HttpFileError(f"line {number}: unknown directive @{name}")
            directives[name] = match.group(2).strip()
            continue
        if stripped.startswith(("#", "//")):
            continue
        if not _METHOD_LINE.match(stripped):
            raise HttpFileError(f"line {number}: expected a request line such as 'GET {{{{baseUrl}}}}/path'")
        method_at = index
        break
    if method_at is None:
        if directives:
            raise HttpFileError(f"line {start}: expectations without a request")
        return None
    number, method_text = block[method_at]
    if start == 0:
        raise HttpFileError(f"line {number}: a request before the first ### separator")
    method_match = _METHOD_LINE.match(method_text.strip())
    assert method_match is not None
    headers: dict[str, str] = {}
    rest = block[method_at + 1 :]
    body_from = len(rest)
    for index, (line_number, text) in enumerate(rest):
        if not text.strip():
            body_from = index + 1
            break
        header = _HEADER.match(text)
        if header is None:
            raise HttpFileError(f"line {line_number}: expected a header line 'Name: value'")
        headers[header.group(1)] = _substitute(header.group(2), parsed.variables, line_number)
    body = "\n".join(text for _, text in rest[body_from:]).strip()
    if "expect" not in directives:
        raise HttpFileError(f"line {number}: request without '# @expect STATUS'")
    server = directives.get("server", "default")
    if server != "default" and server not in parsed.profiles:
        raise HttpFileError(f"line {number}: unknown server profile {server!r}")
    expect_type = directives.get("expect-type")
    if expect_type is not None and expect_type not in _TYPES:
        raise HttpFileError(f"line {number}: @expect-type must be one of {sorted(_TYPES)}")
    keys = directives.get("expect-keys")
    expected_headers = directives.get("expect-headers", "")
    return HttpRequest(
        title=title,
        line=number,
        method=method_match.group(1),
        url=_substitute(method_match.group(2), parsed.variables, number),
        headers=headers,
        body=_substitute(body, parsed.variables, number),
        expect_status=int(directives["expect"]),
        expect_error=directives.get("expect-error"),
        expect_type=expect_type,
        expect_keys=tuple(key.strip() for key in keys.split(",")) if keys else None,
        expect_headers=tuple(name.strip() for name in expected_headers.split(",") if name.strip()),
        server=server,
        background="background" in directives,
    )
