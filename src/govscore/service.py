"""govscore over HTTP: validate, score, explain and the JSON Schema, for programs that are not
Python (``govscore serve``; FastAPI on uvicorn, the optional extra ``govscore[service]``).

The app layer: it calls :mod:`govscore.api` and the views, and nothing imports it but the command
line. What it promises (docs/service.md says the same to the reader):

- **exact numbers**: a request's JSON numbers are read as decimals from their text (never through
  a binary float) and every score in a response is a string (``"88.5"``);
- **the same diagnostics** as the command line: a bad unit is rejected with every problem and the
  other units are still scored; a scheme's problems carry file, line, column, code, key path and
  hint;
- **bounded work**: a request body larger than ``max_body_bytes`` is refused before it is read
  whole (413, GS901); more units than ``max_units`` (413, GS902); each request's work runs in one
  of ``workers`` threads and the answer is 503 (GS903) when it takes longer than ``time_limit``
  seconds; when every worker is busy a request is refused at once (503, GS904). A thread cannot be
  stopped from outside, so a job past its time limit runs to its end, holding its worker; its
  work is bounded by the body and unit limits (and a formula's own time limit, GS503);
- **schemes loaded once, at start** (:func:`load_schemes`): every scheme in the folder must be
  valid, or the server does not start — a platform must not find out at scoring time that the
  scheme it names was left out.

Every refusal is JSON: ``{"error": {"status", "code", "message", "limit"?, "limit_value"?,
"diagnostics"?}}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import threading
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import uvicorn
from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError, WithJsonSchema
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from govscore import api
from govscore.engine.plan import Plan
from govscore.engine.results import Assessment, LazyNodes, UnitResult
from govscore.errors import Diagnostic, FactsFileError, GovscoreError, SchemeError, Span
from govscore.inputs import readers
from govscore.language.model import LANGUAGE_VERSION
from govscore.scheme import detect, loader
from govscore.views.explain import explain

# ------------------------------------------------------------------------------------------------
# limits and the schemes served


@dataclass(frozen=True)
class Limits:
    """What one request may ask for. The defaults suit one office's yearly assessment (a few
    thousand units); a platform scoring a whole province in one request raises them."""

    max_body_bytes: int = 10_000_000
    """A request body larger than this is refused (413, GS901) before it is read whole."""
    max_units: int = 20_000
    """A facts document with more units is refused (413, GS902)."""
    time_limit: float = 30.0
    """Seconds one request's work may take before the answer is 503 (GS903)."""
    workers: int = 2
    """Requests worked on at once (threads); one more is refused at once (503, GS904)."""


@dataclass(frozen=True)
class Served:
    """The schemes a server scores by id, loaded and compiled at start."""

    plans: Mapping[str, Plan]
    files: Mapping[str, str]
    """scheme id → the file it was loaded from."""


def load_schemes(folder: str | Path) -> tuple[Served, dict[str, list[Diagnostic]]]:
    """Every scheme under ``folder`` (``*.yaml`` and ``*.yml`` files that are schemes by content:
    a top-level ``govscore:`` key; scheme tests and facts files are left alone), validated and
    compiled. Returns what could be served and every file's diagnostics (warnings too); a caller
    that finds an error among them must not serve (``govscore serve`` exits 1). Two files with the
    same scheme id are an error (GS301) on the second."""
    root = Path(folder)
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in (".yaml", ".yml")
                   and p.is_file() and detect.is_scheme(p))
    plans: dict[str, Plan] = {}
    where: dict[str, str] = {}
    problems: dict[str, list[Diagnostic]] = {}
    for path in files:
        diagnostics = loader.check_file(path)
        if diagnostics:
            problems[str(path)] = diagnostics
        if any(d.severity == "error" for d in diagnostics):
            continue
        plan = api.compile(path)
        scheme_id = plan.scheme.id
        if scheme_id in plans:
            problems.setdefault(str(path), []).append(Diagnostic(
                "GS301", f"scheme id {scheme_id!r} is also the id of {where[scheme_id]}; each "
                "scheme served needs an id of its own", path=("id",), span=Span(str(path), 1, 1)))
            continue
        plans[scheme_id] = plan
        where[scheme_id] = str(path)
    return Served(plans, where), problems


# ------------------------------------------------------------------------------------------------
# the request and response documents (also the OpenAPI document's models)

_UNIT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "One unit, as in a facts file: its id, optionally its category, tier and "
                   "title, and its facts (fact id → value; numbers are read as exact decimals).",
    "properties": {
        "id": {"type": "string"},
        "category": {"type": "string"},
        "tier": {"type": "string"},
        "title": {"type": "string"},
        "facts": {"type": "object", "additionalProperties": True},
    },
    "required": ["id"],
}
_FACTS_SCHEMA: dict[str, Any] = {
    "description": "The facts, in the facts-file format: {\"units\": [...]} or the list of "
                   "units itself. JSON numbers are read as exact decimals from their text.",
    "anyOf": [
        {"type": "object", "properties": {
            "units": {"type": "array", "items": _UNIT_SCHEMA},
            "period": {}, "note": {}, "scheme": {}}, "required": ["units"]},
        {"type": "array", "items": _UNIT_SCHEMA},
    ],
}
FactsDocument = Annotated[Any, WithJsonSchema(_FACTS_SCHEMA)]


class ValidateRequest(BaseModel):
    """A scheme to check."""

    model_config = ConfigDict(extra="forbid")
    scheme: str = Field(description="The scheme's YAML text.")
    name: str = Field("scheme.yaml", max_length=255,
                      description="The file name the diagnostics show.")


class ScoreRequest(BaseModel):
    """Facts to score against a served scheme (``scheme_id``) or a posted one (``scheme``)."""

    model_config = ConfigDict(extra="forbid")
    scheme_id: str | None = Field(None, description="The id of a scheme the server loaded at "
                                  "start (GET /schemes lists them).")
    scheme: str | None = Field(None, description="A scheme's YAML text, instead of scheme_id.")
    facts: FactsDocument


class ExplainRequest(ScoreRequest):
    """One unit's breakdown, scored among all the units given (ranks and awards need them)."""

    unit: str = Field(description="The id of the unit to explain.")
    lang: Literal["zh", "en"] = Field("zh", description="The language of the text.")


class DiagnosticOut(BaseModel):
    """One problem, as the command line's ``--format json`` writes it."""

    code: str = Field(description="The stable code (docs/reference/errors.md).")
    severity: Literal["error", "warning"]
    message: str
    path: str = Field(description="The key path as a JSON pointer ('' for the whole document).")
    file: str | None = None
    line: int | None = Field(None, description="1-based line in the scheme text.")
    column: int | None = Field(None, description="1-based column (in characters).")
    hint: str | None = None
    unit: str | None = None
    item: str | None = None


class ErrorBody(BaseModel):
    status: int
    code: str = Field(description="GS9xx for the service's own refusals; see errors.md.")
    message: str
    limit: str | None = Field(None, description="The limit that refused the request.")
    limit_value: float | None = None
    diagnostics: list[DiagnosticOut] = []


class ErrorResponse(BaseModel):
    """Every refusal (4xx, 5xx)."""

    error: ErrorBody


class ValidateResponse(BaseModel):
    valid: bool = Field(description="No errors (warnings allowed).")
    scheme_id: str | None = None
    errors: int
    warnings: int
    diagnostics: list[DiagnosticOut]


class SchemeInfo(BaseModel):
    id: str
    title: str
    version: str
    sha256: str
    categories: list[str]
    tiers: list[str]
    whole_population: bool = Field(description="Some items are scored against all units "
                                   "(relative_to_best, rank_points).")


class Health(BaseModel):
    status: Literal["ok"]
    schemes: int


class VersionInfo(BaseModel):
    govscore: str
    scheme_language: str
    """The newest scheme language this server reads ("2"; every older one too)."""


class Limit(BaseModel):
    max_body_bytes: int
    max_units: int
    time_limit: float
    workers: int


class UnitScore(BaseModel):
    """One scored unit; every number is a decimal string."""

    unit: str
    category: str | None
    tier: str | None
    scope: str = Field(description="The ranking scope: 'all', a tier id or a category id.")
    rank: int
    scope_size: int
    total: str
    computed_total: str = Field(description="The total before a veto replaced it.")
    grade: str | None
    grade_undecided: list[str]
    awards: list[str]
    undecided: list[str] = Field(description="Awards tied at the quota boundary: for a person "
                                 "to decide.")
    vetoes: list[str]
    ineligible: list[str]
    outputs: dict[str, str]
    nodes: dict[str, str | None] = Field(description="Every item's and group's value (null: "
                                         "not applicable).")


class AwardDecision(BaseModel):
    award: str
    scope: str
    size: int
    places: int
    winners: list[str]
    undecided: list[str]
    open_places: int


class RejectedUnit(BaseModel):
    index: int = Field(description="0-based position in the units given.")
    unit: str
    diagnostics: list[DiagnosticOut]


class RecordOut(BaseModel):
    """What an appeal needs to recompute the result."""

    scheme_id: str
    scheme_version: str
    scheme_sha256: str
    facts_sha256: str
    govscore_version: str


class ScoreResponse(BaseModel):
    scheme: SchemeInfo
    record: RecordOut
    submitted: int
    scored: int
    units: list[UnitScore] = Field(description="In ranked order: by scope, then rank.")
    awards: list[AwardDecision]
    ties: list[AwardDecision] = Field(description="Award decisions left open by a tie.")
    rejected: list[RejectedUnit]
    labels: dict[str, str] = Field(description="Titles of the scheme's ids, for display.")


class TraceStepOut(BaseModel):
    """One change to a number (docs/architecture.md, 'The trace is data')."""

    rule: str
    step: str
    before: str
    after: str
    args: list[Any]


class NodeOut(BaseModel):
    id: str
    title: str
    kind: Literal["item", "group"]
    value: str
    raw: str
    max: str
    role: Literal["add", "subtract"]
    applicable: bool
    outside_total: bool
    fact: Any
    rule: str
    parent: str | None
    order: int


class ExplainResponse(BaseModel):
    unit: str
    lang: Literal["zh", "en"]
    scored: bool
    text: str = Field(description="The breakdown a reader checks with a pencil.")
    total: str | None
    placement: UnitScore | None
    nodes: list[NodeOut]
    trace: list[TraceStepOut]
    diagnostics: list[DiagnosticOut] = Field(description="Why the unit was rejected.")


# ------------------------------------------------------------------------------------------------
# refusals


class ServiceError(GovscoreError):
    """A request the service refuses: the HTTP status, a GS9xx code, what, and the limit that
    refused it or the diagnostics that explain it."""

    def __init__(self, status: int, code: str, message: str, *, limit: str | None = None,
                 limit_value: float | None = None,
                 diagnostics: Sequence[Diagnostic] = ()) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.limit = limit
        self.limit_value = limit_value
        self.diagnostics = tuple(diagnostics)

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"status": self.status, "code": self.code,
                                 "message": self.message}
        if self.limit is not None:
            error.update(limit=self.limit, limit_value=self.limit_value)
        if self.diagnostics:
            error["diagnostics"] = [diagnostic(d) for d in self.diagnostics]
        return {"error": error}


def json_response(document: Any, status: int = 200) -> Response:
    """A JSON answer. A lone surrogate anywhere in it (a request may carry one as the escape
    \\ud800, which is not text) is written back as that escape, never as bytes that are not UTF-8."""
    text = json.dumps(document, ensure_ascii=False).encode("utf-8", "backslashreplace")
    return Response(text, status_code=status, media_type="application/json")


def _error_response(exc: ServiceError) -> Response:
    return json_response(exc.body(), exc.status)


def diagnostic(d: Diagnostic) -> dict[str, Any]:
    """A diagnostic as the service writes it (the CLI's JSON form)."""
    return d.to_dict()


# ------------------------------------------------------------------------------------------------
# the work of each endpoint (plain functions: they run in a worker thread)


def _parse(body: bytes) -> dict[str, Any]:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ServiceError(422, "GS905", "the request body is not UTF-8 text (JSON must be "
                           "UTF-8)") from None
    try:
        data = readers.parse_json(text, "<request>")
    except FactsFileError as exc:
        raise ServiceError(422, "GS905", "the request body is not valid JSON",
                           diagnostics=exc.diagnostics) from None
    if not isinstance(data, dict):
        raise ServiceError(422, "GS905", "the request body must be a JSON object")
    return data


def _shape(model: type[BaseModel], data: dict[str, Any]) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [Diagnostic("GS905", str(e["msg"]), path=tuple(e["loc"]))
                    for e in exc.errors(include_url=False)[:50]]
        raise ServiceError(422, "GS905", f"the request does not match {model.__name__} (see "
                           "/openapi.json)", diagnostics=problems) from None


def _scheme_bytes(text: str) -> bytes:
    """A posted scheme's text as the loader reads a file: a lone surrogate (a JSON escape such as
    \\ud800, not text) is kept as bytes that are not UTF-8, which the loader reports (GS102)."""
    return text.encode("utf-8", "surrogatepass")


@functools.lru_cache(maxsize=8)
def _posted_plan(text: str) -> Plan:
    """A posted scheme, compiled once for repeated requests with the same text."""
    loaded, diagnostics = loader.parse_scheme(_scheme_bytes(text), "scheme.yaml")
    if loaded is None:
        raise SchemeError(diagnostics, "scheme.yaml: the scheme is invalid")
    return api.compile(loaded)


def _plan(request: ScoreRequest, served: Served) -> Plan:
    if (request.scheme_id is None) == (request.scheme is None):
        raise ServiceError(422, "GS905", "give either scheme_id (a scheme the server loaded) "
                           "or scheme (a scheme's text), not both and not neither")
    if request.scheme is not None:
        try:
            return _posted_plan(request.scheme)
        except SchemeError as exc:
            raise ServiceError(422, "GS907", "the posted scheme is invalid",
                               diagnostics=exc.diagnostics) from None
    plan = served.plans.get(request.scheme_id or "")
    if plan is None:
        known = ", ".join(sorted(served.plans)) or "none"
        raise ServiceError(404, "GS906", f"no scheme {request.scheme_id!r} is served (served: "
                           f"{known})")
    return plan


def _units(facts: Any, limits: Limits) -> list[Any]:
    try:
        units = readers.units_of(facts, "facts")
    except FactsFileError as exc:
        raise ServiceError(422, "GS905", "facts must be {\"units\": [...]} or a list of units",
                           diagnostics=exc.diagnostics) from None
    if len(units) > limits.max_units:
        raise ServiceError(413, "GS902", f"{len(units)} units in one request; the limit is "
                           f"{limits.max_units}", limit="max_units",
                           limit_value=limits.max_units)
    return units


def scheme_info(plan: Plan) -> dict[str, Any]:
    scheme = plan.scheme
    return {"id": scheme.id, "title": scheme.title, "version": scheme.version,
            "sha256": plan.loaded.sha256, "categories": [c.id for c in scheme.categories],
            "tiers": [t.id for t in scheme.tiers], "whole_population": plan.needs_population}


def _unit_score(assessment: Assessment, unit: str) -> dict[str, Any]:
    r, p = assessment.results[unit], assessment.placements[unit]
    return {
        "unit": unit, "category": r.category, "tier": r.tier, "scope": p.scope, "rank": p.rank,
        "scope_size": p.scope_size, "total": str(r.total), "computed_total": str(r.computed_total),
        "grade": p.grade, "grade_undecided": list(p.grade_undecided), "awards": list(p.awards),
        "undecided": list(p.undecided), "vetoes": list(r.vetoes),
        "ineligible": list(r.ineligible),
        "outputs": {k: str(v) for k, v in r.outputs.items()},
        "nodes": _node_values(r),
    }


def _node_values(result: UnitResult) -> dict[str, str | None]:
    """Every node's value as text (None: not applicable). A unit a kernel scored has its nodes
    as LazyNodes, every one applicable: their values are read without building a NodeResult each
    (that was most of the time of a large /score answer)."""
    nodes = result.nodes
    if isinstance(nodes, LazyNodes):
        ids = list(nodes)
        return {key: None if value is None else str(value)
                for key, value in zip(ids, nodes.values_of(ids), strict=True)}
    return {n.id: str(n.value) if n.applicable else None for n in nodes.values()}


def score_document(plan: Plan, assessment: Assessment) -> dict[str, Any]:
    """An assessment as the /score response (ScoreResponse)."""
    order = sorted(assessment.results, key=lambda u: (assessment.placements[u].scope,
                                                      assessment.placements[u].rank, u))
    return {
        "scheme": scheme_info(plan),
        "record": assessment.record.to_dict(),
        "submitted": assessment.submitted,
        "scored": len(assessment.results),
        "units": [_unit_score(assessment, u) for u in order],
        "awards": [a.to_dict() for a in assessment.awards],
        "ties": [a.to_dict() for a in assessment.ties],
        "rejected": [{"index": r.index, "unit": r.unit,
                      "diagnostics": [diagnostic(d) for d in r.diagnostics]}
                     for r in assessment.rejected],
        "labels": dict(assessment.labels),
    }


def do_validate(body: bytes) -> dict[str, Any]:
    request = _shape(ValidateRequest, _parse(body))
    loaded, found = loader.parse_scheme(_scheme_bytes(request.scheme), api.shown_id(request.name))
    found = sorted(found, key=Diagnostic.sort_key)
    errors = sum(1 for d in found if d.severity == "error")
    return {"valid": loaded is not None, "scheme_id": loaded.scheme.id if loaded else None,
            "errors": errors, "warnings": len(found) - errors,
            "diagnostics": [diagnostic(d) for d in found]}


def do_score(body: bytes, served: Served, limits: Limits) -> dict[str, Any]:
    request = _shape(ScoreRequest, _parse(body))
    plan = _plan(request, served)
    units = _units(request.facts, limits)
    return score_document(plan, api.evaluate_all(plan, units))


def do_explain(body: bytes, served: Served, limits: Limits) -> dict[str, Any]:
    request = _shape(ExplainRequest, _parse(body))
    plan = _plan(request, served)
    assessment = api.evaluate_all(plan, _units(request.facts, limits))
    unit, lang = request.unit, request.lang
    try:
        text = explain(assessment, unit, lang=lang, plan=plan)  # the score sheet, or the problems
    except KeyError:
        raise ServiceError(404, "GS906", f"no unit {unit!r} in the facts given") from None
    result = assessment.results.get(unit)
    if result is None:
        problems = [d for r in assessment.rejected if r.unit == unit for d in r.diagnostics]
        return {"unit": unit, "lang": lang, "scored": False, "text": text, "total": None,
                "placement": None, "nodes": [], "trace": [],
                "diagnostics": [diagnostic(d) for d in problems]}
    return {"unit": unit, "lang": lang, "scored": True, "text": text,
            "total": str(result.total), "placement": _unit_score(assessment, unit),
            "nodes": [n.to_dict() for n in sorted(result.nodes.values(), key=lambda n: n.order)],
            "trace": [s.to_dict() for s in result.trace], "diagnostics": []}


# ------------------------------------------------------------------------------------------------
# bounds: the body size (ASGI middleware) and the workers with their time limit


class BodyLimit:
    """Refuse a request body larger than ``limit`` bytes (413, GS901): at once when its
    Content-Length says so, else as soon as the bytes received pass the limit; never more than
    ``limit`` bytes are held. The body is then handed on whole."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or ()).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(send, int(declared))
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await self._refuse(send, None)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        whole = b"".join(chunks)
        given = False

        async def replay() -> Message:
            nonlocal given
            if not given:
                given = True
                return {"type": "http.request", "body": whole, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send, declared: int | None) -> None:
        size = f"{declared} bytes" if declared is not None else "more"
        error = ServiceError(413, "GS901", f"the request body has {size}; the limit is "
                             f"{self.limit} bytes", limit="max_body_bytes",
                             limit_value=self.limit)
        payload = json.dumps(error.body(), ensure_ascii=False).encode("utf-8")
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(payload)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": payload})


class Workers:
    """At most ``limits.workers`` jobs at once, each answered within ``limits.time_limit``."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._pool = ThreadPoolExecutor(max_workers=limits.workers,
                                        thread_name_prefix="govscore-job")
        self._free = threading.BoundedSemaphore(limits.workers)

    async def run(self, job: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        if not self._free.acquire(blocking=False):
            raise ServiceError(503, "GS904", f"all {self.limits.workers} workers are busy; try "
                               "again later", limit="workers", limit_value=self.limits.workers)

        def work() -> tuple[dict[str, Any], float]:
            started = time.monotonic()
            try:
                return job(), time.monotonic() - started
            finally:
                self._free.release()  # when the work ends, not when the request gave up on it

        too_long = ServiceError(503, "GS903", f"the work took longer than the time limit of "
                                f"{self.limits.time_limit:g} s", limit="time_limit",
                                limit_value=self.limits.time_limit)
        future = asyncio.get_running_loop().run_in_executor(self._pool, work)
        try:
            answer, took = await asyncio.wait_for(asyncio.shield(future), self.limits.time_limit)
        except TimeoutError:
            future.add_done_callback(_forget)
            raise too_long from None
        # The event loop may not have woken before a busy worker finished (one GIL, two
        # threads): the work's own clock decides, so the limit holds however the threads ran.
        if took > self.limits.time_limit:
            raise too_long
        return answer

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def _forget(future: asyncio.Future[Any]) -> None:
    """A job the request stopped waiting for: its outcome is dropped (not logged as unread)."""
    if not future.cancelled():
        future.exception()


# ------------------------------------------------------------------------------------------------
# the app

_REFUSALS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": what} for status, what in (
        (404, "GS906: no such scheme, unit or endpoint"),
        (413, "GS901 body over max_body_bytes; GS902 more units than max_units"),
        (422, "GS905 malformed request; GS907 the posted scheme is invalid"),
        (503, "GS903 over time_limit; GS904 every worker busy"),
        (500, "GS908 internal error"),
    )}

_DESCRIPTION = """Exact, explainable scoring of government assessment schemes (考核细则).

Numbers in requests are read as exact decimals from their JSON text; every score in a response is
a decimal string. Units whose facts are wrong are rejected one by one, with every problem; the
others are scored. Refusals are JSON (ErrorResponse) naming the limit that refused them."""


def create_app(served: Served | None = None, limits: Limits | None = None) -> FastAPI:
    """The ASGI app: ``served`` schemes by id (see :func:`load_schemes`) within ``limits``."""
    served = served or Served({}, {})
    limits = limits or Limits()
    workers = Workers(limits)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        workers.shutdown()

    app = FastAPI(title="govscore", version=api.version(), description=_DESCRIPTION,
                  lifespan=lifespan)
    app.add_middleware(BodyLimit, limit=limits.max_body_bytes)

    @app.exception_handler(ServiceError)
    async def refused(request: Request, exc: ServiceError) -> Response:
        return _error_response(exc)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code = "GS906" if exc.status_code == 404 else "GS905"  # noqa: PLR2004
        return _error_response(ServiceError(exc.status_code, code, str(exc.detail)))

    @app.exception_handler(Exception)
    async def failed(request: Request, exc: Exception) -> Response:
        # nothing of the exception is echoed: the message could hold request data
        return _error_response(ServiceError(500, "GS908", "internal error: the request could "
                                            "not be worked on"))

    def body_of(model: type[BaseModel]) -> dict[str, Any]:
        return {"requestBody": {"required": True, "content": {"application/json": {
            "schema": {"$ref": f"#/components/schemas/{model.__name__}"}}}}}

    async def answer(request: Request, work: Callable[[bytes], dict[str, Any]]) -> Response:
        body = await request.body()
        document = await workers.run(lambda: work(body))
        return json_response(document)

    @app.get("/health", response_model=Health, summary="Is the server up")
    def health() -> dict[str, Any]:
        return {"status": "ok", "schemes": len(served.plans)}

    @app.get("/version", response_model=VersionInfo, summary="govscore's version")
    def version() -> dict[str, Any]:
        return {"govscore": api.version(), "scheme_language": LANGUAGE_VERSION}

    @app.get("/limits", response_model=Limit, summary="This server's limits")
    def limit() -> dict[str, Any]:
        return {"max_body_bytes": limits.max_body_bytes, "max_units": limits.max_units,
                "time_limit": limits.time_limit, "workers": limits.workers}

    @app.get("/schema", summary="The JSON Schema of scheme files",
             response_model=dict[str, Any])
    def schema() -> dict[str, Any]:
        from govscore.language import schema as language_schema

        return language_schema.json_schema()

    @app.get("/schemes", response_model=list[SchemeInfo], summary="The schemes served by id")
    def schemes() -> list[dict[str, Any]]:
        return [scheme_info(served.plans[key]) for key in sorted(served.plans)]

    @app.post("/validate", response_model=ValidateResponse, responses=_REFUSALS,
              openapi_extra=body_of(ValidateRequest),
              summary="Check a scheme: every problem with line, column, code, path and hint")
    async def validate(request: Request) -> Response:
        return await answer(request, do_validate)

    @app.post("/score", response_model=ScoreResponse, responses=_REFUSALS,
              openapi_extra=body_of(ScoreRequest),
              summary="Score units: totals, ranks, grades, awards, ties, rejected units")
    async def score(request: Request) -> Response:
        return await answer(request, lambda body: do_score(body, served, limits))

    @app.post("/explain", response_model=ExplainResponse, responses=_REFUSALS,
              openapi_extra=body_of(ExplainRequest),
              summary="One unit's breakdown, as text (zh or en) and as data")
    async def explain(request: Request) -> Response:
        return await answer(request, lambda body: do_explain(body, served, limits))

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        document = get_openapi(title=app.title, version=app.version,
                               description=app.description, routes=app.routes)
        components = document.setdefault("components", {}).setdefault("schemas", {})
        for model in (ValidateRequest, ScoreRequest, ExplainRequest):
            model_schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            components.update(model_schema.pop("$defs", {}))
            components[model.__name__] = model_schema
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def serve(app: FastAPI, host: str, port: int) -> None:
    """Run the app on uvicorn until interrupted (Ctrl-C, SIGTERM)."""
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
