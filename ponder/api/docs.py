"""The API reference at /api/v1/docs: a page of the site, drawn on the server from the OpenAPI
document that /api/v1/openapi.json serves, so the two never disagree.

It replaces django-ninja's Swagger UI: that is a large script whose colours and nested controls
failed WCAG 2.2 AA, and it spoke only English. This page is plain HTML in the site's own style,
in the reader's language; only what the API itself says (summaries, descriptions, field notes)
stays in English, marked as such (`lang="en"`). With JavaScript, each operation can also be
tried out from the page (static/api-docs.js).
"""

import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import markdown
import nh3
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.openapi.docs import DocsBase

METHODS = ("get", "post", "put", "patch", "delete")
# Longer patterns (the text rules) are said in words by the field's description.
SHORT_PATTERN = 40
# Longer lists (the time zones) fold away.
SHORT_ENUM = 10

TAGS = {
    "questions": gettext_lazy("Questions"),
    "participants": gettext_lazy("Taking part"),
    "ideas": gettext_lazy("Ideas and votes"),
    "arguments": gettext_lazy("Pros, cons and likes"),
    "comments": gettext_lazy("Comments"),
    "access": gettext_lazy("Who may take part"),
}
STATUSES = {
    200: gettext_lazy("OK"),
    201: gettext_lazy("Created"),
    204: gettext_lazy("No content"),
    400: gettext_lazy("Bad request"),
    401: gettext_lazy("No token, or a token of another question"),
    403: gettext_lazy("Not allowed here"),
    404: gettext_lazy("Not found"),
    409: gettext_lazy("Conflict"),
    413: gettext_lazy("Request body too large"),
    429: gettext_lazy("Too many requests"),
}


def _markdown(text: str) -> SafeString:
    """The API's own descriptions (written by us, not by users) as HTML."""
    if not text:
        return mark_safe("")
    html = markdown.markdown(text, extensions=["sane_lists"], output_format="html")
    return mark_safe(nh3.clean(html))  # noqa: S308 - nh3 keeps only harmless tags.


@dataclass
class Field:
    name: str
    type: SafeString
    required: bool
    description: SafeString
    default: str | None = None
    location: str = ""  # of a parameter: "path" or "query"
    values: list[str] = field(default_factory=list)  # a long enum, folded away


@dataclass
class Body:
    content_type: str
    schema: SafeString
    fields: list[Field]
    example: str  # JSON; empty for a form's parts
    parts: list["Part"] = field(default_factory=list)  # multipart/form-data


@dataclass
class Part:
    """A field of a multipart/form-data body, for the "Try it" form: a file or a text."""

    name: str
    file: bool
    required: bool


@dataclass
class Response:
    status: int
    meaning: str
    schema: SafeString | None


@dataclass
class Operation:
    id: str
    method: str
    path: str
    summary: str
    description: SafeString
    token: str  # "required", "optional" or "none"
    parameters: list[Field]
    body: Body | None
    responses: list[Response]

    @property
    def path_html(self) -> SafeString:
        """The path, allowed to wrap after each slash (not inside a name) on a phone."""
        return format_html_join(
            mark_safe("/<wbr>"), "{}", ((part,) for part in self.path.split("/"))
        )


@dataclass
class Group:
    tag: str
    title: str
    operations: list[Operation]


@dataclass
class Model:
    name: str
    description: SafeString
    fields: list[Field]


class Reference:
    """The OpenAPI document, read into what the page shows."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema
        self.components: dict[str, Any] = schema.get("components", {}).get("schemas", {})

    # Types ------------------------------------------------------------------------------------

    def type_of(self, schema: dict[str, Any]) -> SafeString:
        """A schema in a few words: "string", "integer from 1 to 1000", "IdeaOut or null"."""
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            return format_html('<a href="#schema-{}"><code>{}</code></a>', name, name)
        for combined in ("anyOf", "oneOf", "allOf"):
            if combined in schema:
                kinds = [self.type_of(s) for s in schema[combined] if s.get("type") != "null"]
                joined = format_html_join(_(" or "), "{}", ((kind,) for kind in kinds))
                if any(s.get("type") == "null" for s in schema[combined]):
                    return format_html(_("{} or null"), joined)
                return joined
        kind = schema.get("type", "any")
        if kind == "array":
            return format_html(_("array of {}"), self.type_of(schema.get("items", {})))
        words = format_html("{}", kind)
        if "format" in schema:
            words = format_html("{} ({})", words, schema["format"])
        if "enum" in schema and len(schema["enum"]) <= SHORT_ENUM:
            values = format_html_join(
                ", ", "<code>{}</code>", ((json.dumps(v),) for v in schema["enum"])
            )
            words = format_html(_("{kind}, one of {values}"), kind=words, values=values)
        elif "enum" in schema:
            count = len(schema["enum"])
            words = format_html(_("{kind}, one of {count} values"), kind=words, count=count)
        low = schema.get("minimum", schema.get("ge"))
        high = schema.get("maximum", schema.get("le"))
        if low is not None and high is not None:
            words = format_html(_("{kind} from {low} to {high}"), kind=words, low=low, high=high)
        elif low is not None:
            words = format_html(_("{kind}, at least {low}"), kind=words, low=low)
        if "maxLength" in schema:
            limit = schema["maxLength"]
            words = format_html(_("{kind}, at most {limit} characters"), kind=words, limit=limit)
        pattern = schema.get("pattern")
        if pattern and len(pattern) <= SHORT_PATTERN:
            words = format_html(
                _("{kind} matching {pattern}"),
                kind=words,
                pattern=format_html("<code>{}</code>", pattern),
            )
        return words

    def fields_of(self, schema: dict[str, Any]) -> list[Field]:
        schema = self.resolve(schema)
        required = set(schema.get("required", []))
        fields = []
        for name, prop in schema.get("properties", {}).items():
            enum = prop.get("enum", [])
            fields.append(
                Field(
                    name=name,
                    type=self.type_of(prop),
                    required=name in required,
                    description=_markdown(prop.get("description", "")),
                    default=json.dumps(prop["default"]) if "default" in prop else None,
                    values=[str(v) for v in enum] if len(enum) > SHORT_ENUM else [],
                )
            )
        return fields

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            schema = self.components[schema["$ref"].rsplit("/", 1)[-1]]
        return schema

    def example(self, schema: dict[str, Any]) -> Any:
        """A body a client could send: the required fields (all fields, when none is)."""
        schema = self.resolve(schema)
        if "anyOf" in schema or "allOf" in schema:
            first = next(
                s for s in schema.get("anyOf", schema.get("allOf")) if s.get("type") != "null"
            )
            return self.example(first)
        kind = schema.get("type")
        if kind == "object":
            properties = schema.get("properties", {})
            names = schema.get("required") or list(properties)[:1]
            return {name: self.example(properties[name]) for name in names}
        if "enum" in schema:
            return schema["enum"][0]
        return {"string": "…", "integer": 1, "number": 1, "boolean": True, "array": []}.get(kind)

    # Operations -------------------------------------------------------------------------------

    def operation(self, path: str, method: str, spec: dict[str, Any]) -> Operation:
        security = spec.get("security") or []
        token = "none" if not security else "optional" if {} in security else "required"
        parameters = [
            Field(
                name=p["name"],
                type=format_html(
                    "{} · {}",
                    self.type_of(p.get("schema", {})),
                    _("in the path") if p["in"] == "path" else _("in the query"),
                ),
                required=p.get("required", False),
                description=_markdown(p.get("description", "")),
                location=p["in"],
            )
            for p in spec.get("parameters", [])
        ]
        body = None
        for content_type, content in spec.get("requestBody", {}).get("content", {}).items():
            schema = self.resolve(content["schema"])
            if content_type == "multipart/form-data":  # a file upload: its parts, no JSON
                required = set(schema.get("required", []))
                parts = [
                    Part(name, prop.get("format") == "binary", name in required)
                    for name, prop in schema.get("properties", {}).items()
                ]
                example = ""
            else:
                parts = []
                example = json.dumps(self.example(content["schema"]), ensure_ascii=False)
            body = Body(
                content_type=content_type,
                schema=self.type_of(content["schema"]),
                fields=self.fields_of(content["schema"]),
                example=example,
                parts=parts,
            )
        responses = []
        for status, response in spec.get("responses", {}).items():
            content = response.get("content", {}).get("application/json")
            responses.append(
                Response(
                    status=int(status),
                    meaning=str(STATUSES.get(int(status), response.get("description", ""))),
                    schema=self.type_of(content["schema"]) if content else None,
                )
            )
        return Operation(
            id=spec.get("operationId", f"{method}-{path}"),
            method=method.upper(),
            path=path,
            summary=spec.get("summary", ""),
            description=_markdown(spec.get("description", "")),
            token=token,
            parameters=parameters,
            body=body,
            responses=responses,
        )

    @cached_property
    def groups(self) -> list[Group]:
        groups: dict[str, Group] = {}
        for path, operations in self.schema["paths"].items():
            for method in METHODS:
                if method not in operations:
                    continue
                spec = operations[method]
                tag = (spec.get("tags") or ["other"])[0]
                if tag not in groups:
                    groups[tag] = Group(
                        tag=tag, title=str(TAGS.get(tag, tag.title())), operations=[]
                    )
                groups[tag].operations.append(self.operation(path, method, spec))
        return list(groups.values())

    @cached_property
    def models(self) -> list[Model]:
        return [
            Model(
                name=name,
                description=_markdown(schema.get("description", "")),
                fields=self.fields_of(schema),
            )
            for name, schema in self.components.items()
        ]


class ReferencePage(DocsBase):
    """django-ninja's docs view, drawing our page instead of Swagger UI."""

    template = "api/reference.html"

    def __init__(self) -> None:
        # The routes are fixed once the process runs: read them once per language, not per visit
        # (building the OpenAPI document alone takes a fifth of a second).
        self._read: dict[tuple[str, str], tuple[dict[str, Any], Reference]] = {}

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        key = (get_language(), json.dumps(kwargs, sort_keys=True))
        if key not in self._read:
            schema = api.get_openapi_schema(path_params=kwargs)
            reference = Reference(schema)
            reference.groups, reference.models  # noqa: B018 - read now, in this language
            self._read[key] = (schema, reference)
        schema, reference = self._read[key]
        context = {
            "info": schema["info"],
            "description": _markdown(schema["info"].get("description", "")),
            "groups": reference.groups,
            "models": reference.models,
            "openapi_url": self.get_openapi_url(api, kwargs),
            # What the API says is English; on a page in another language it is marked so.
            "foreign": not get_language().startswith("en"),
        }
        return render(request, self.template, context)
