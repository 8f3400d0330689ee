"""``govscore serve`` for real: the server runs in a subprocess on 127.0.0.1 (a free port), and the
tests talk to it over HTTP with httpx, as a Java or .NET platform would.

Expected scores are worked out by hand from schemes/s3-chengdu.yaml (篇3, 成都) with the facts of
examples/s3-chengdu.facts.yaml: 实得分 = 70 (第八条(一)) + 加分 (第九条, each item within its own
cap, the sum ≤ 30) − min(减分, 加分) (第十条(八)).
"""

from __future__ import annotations

import io
import json
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

httpx = pytest.importorskip("httpx", reason="the service tests need httpx (in the dev extra)")
pytest.importorskip("fastapi", reason="govscore serve needs the service extra")
pytest.importorskip("uvicorn", reason="govscore serve needs the service extra")

import govscore  # noqa: E402
from govscore.cli import run  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
S3_FACTS = ROOT / "examples" / "s3-chengdu.facts.yaml"
BODY_LIMIT = 200_000
UNIT_LIMIT = 30
STARTS = 600  # health polls (0.1 s apart) before a server that does not answer is given up on

BROKEN = ('govscore: "1"\nid: x\ntitle: t\nsource: {document: d}\nversion: "1"\n'
          "score: {id: r, title: r, weigth: 1, children: [{id: a, title: a, max: \"5\","
          " rule: {kind: pass_fail}}]}\n")
TWO_ITEMS = ('govscore: "1"\nid: two\ntitle: 两项\nsource: {document: d}\nversion: "1"\n'
             "precision: {places: 2, rounding: half_up}\n"
             "score:\n  id: r\n  title: r\n  max: 10\n  children:\n"
             "    - {id: a, title: 甲, max: 5, rule: {kind: manual, min: 0, max: 5}}\n"
             "    - {id: b, title: 乙, max: 5, rule: {kind: manual, min: 0, max: 5}}\n")


def to_json(value: Any) -> str:
    """JSON text with every Decimal written as the number it is (never through a float)."""
    marked = json.dumps(value, ensure_ascii=False,
                        default=lambda d: f"\x00{d}\x00" if isinstance(d, Decimal) else None)
    return re.sub(r'"\\u0000([^"\\]*)\\u0000"', r"\1", marked)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    def __init__(self, *args: str) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "govscore", "serve", "--port", str(self.port), *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.client = httpx.Client(base_url=self.url, timeout=120)
        for _ in range(STARTS):
            if self.process.poll() is not None:
                _, err = self.process.communicate()
                pytest.fail(f"govscore serve exited {self.process.returncode}:\n{err}")
            try:
                if self.client.get("/health").status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        pytest.fail("govscore serve did not answer /health")

    def post(self, path: str, body: Any) -> httpx.Response:
        text = body if isinstance(body, (str, bytes)) else to_json(body)
        return self.client.post(path, content=text,
                                headers={"content-type": "application/json"})

    def stop(self) -> str:
        self.client.close()
        self.process.terminate()
        try:
            _, err = self.process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            _, err = self.process.communicate()
        return err


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """A schemes folder as a platform keeps one: schemes, their tests and a facts file (the last
    two are not schemes by content and are skipped)."""
    root = tmp_path_factory.mktemp("served")
    for name in ("s3-chengdu.yaml", "s1-jiange.yaml"):
        shutil.copy(ROOT / "schemes" / name, root / name)
    (root / "tests").mkdir()
    shutil.copy(ROOT / "schemes" / "tests" / "s3-chengdu.test.yaml", root / "tests")
    shutil.copy(S3_FACTS, root / "s3-chengdu.facts.yaml")
    return root


@pytest.fixture(scope="module")
def server(folder) -> Iterator[Server]:
    running = Server("--schemes", str(folder), "--max-body-bytes", str(BODY_LIMIT),
                     "--max-units", str(UNIT_LIMIT), "--workers", "2")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def s3_units() -> list[Any]:
    return govscore.read_facts(S3_FACTS)


def test_health_version_limits_and_the_schemes_served(server):
    assert server.client.get("/health").json() == {"status": "ok", "schemes": 2}
    assert server.client.get("/version").json()["govscore"] == govscore.version()
    assert server.client.get("/limits").json() == {
        "max_body_bytes": BODY_LIMIT, "max_units": UNIT_LIMIT, "time_limit": 30.0, "workers": 2}
    served = server.client.get("/schemes").json()
    assert [s["id"] for s in served] == ["s1-jiange", "s3-chengdu"]
    s3 = served[1]
    assert s3["tiers"] == ["ring1", "ring2", "ring3"]
    assert s3["whole_population"] is False
    schema = server.client.get("/schema").json()
    assert schema == json.loads((ROOT / "schemes" / "govscore.schema.json").read_text("utf-8"))


def test_score_a_served_scheme_with_its_example_facts(server, s3_units):
    response = server.post("/score", {"scheme_id": "s3-chengdu", "facts": {"units": s3_units}})
    assert response.status_code == 200, response.text
    # every number in the response is a string: no reader can turn a score into a binary float
    assert re.search(r'"total":\s*[-\d]', response.text) is None
    data = response.json()
    assert (data["submitted"], data["scored"], data["rejected"]) == (20, 20, [])
    units = {u["unit"]: u for u in data["units"]}
    # 高新区: 加分 5 + 5 + min(2, 4×0.5) + (2×1 + 1×1.5) + (1×1.5 + 1×1) + (1.5 + 1) + 2×0.5
    # + 2×0.5 + 2×0.5 = 5+5+2+3.5+2.5+2.5+1+1+1 = 23.5; 减分 通报批评 1×5 = 5 ≤ 23.5;
    # 70 + 23.5 − 5 = 88.5, first of 第一圈's 6 units; floor(30% × 6) = 1 优秀 place (第十一条).
    gaoxin = units["高新区"]
    assert Decimal(gaoxin["total"]) == Decimal("88.5")
    assert (gaoxin["scope"], gaoxin["rank"], gaoxin["scope_size"]) == ("ring1", 1, 6)
    assert gaoxin["awards"] == ["excellent"]
    assert Decimal(gaoxin["nodes"]["bonus"]) == Decimal("23.5")
    assert Decimal(gaoxin["nodes"]["deductions"]) == Decimal(5)
    # 锦江区: 5 + 4.5 + 3×0.5 + (2×0.5 + 1) + (1 + 1.5) + (2×0.5 + 1) + 2×0.5 + 3×0.5 + 0 = 20;
    # 超期 1×2 = 2; 70 + 20 − 2 = 88: second in 第一圈 (高新区 88.5 is ahead), no place left.
    jinjiang = units["锦江区"]
    assert Decimal(jinjiang["total"]) == Decimal(88)
    assert (jinjiang["rank"], jinjiang["awards"]) == (2, [])
    # 第二圈: 龙泉驿区 4+4+2×0.5+2×0.5+1+2×0.5+0.5+2×0.5 = 13.5 and 温江区 4+4+0.5+1+1+(0.5+1)
    # +0.5+1 = 13.5: both 83.5, tied for floor(30% × 6) = 1 place; no tie-breaker → undecided.
    assert Decimal(units["龙泉驿区"]["total"]) == Decimal(units["温江区"]["total"]) == Decimal("83.5")
    [tie] = data["ties"]
    assert (tie["award"], tie["scope"], tie["places"], tie["open_places"]) == ("excellent", "ring2", 1, 1)
    assert sorted(tie["undecided"]) == ["温江区", "龙泉驿区"]
    assert units["温江区"]["undecided"] == ["excellent"]
    # the response is in ranked order: scope, then rank
    order = [(u["scope"], u["rank"]) for u in data["units"]]
    assert order == sorted(order)
    assert data["record"]["facts_sha256"] == govscore.facts_hash(s3_units)


def test_numbers_are_read_as_exact_decimals(server):
    """The request's numbers never pass through a binary float: 2.675 is 2.675, which rounds
    half up to 2.68 (as a double it is 2.67499999999999982…, which would round to 2.67)."""
    units = [{"id": "U", "facts": {"a": Decimal("2.675"), "b": Decimal("0.2")}}]
    data = server.post("/score", {"scheme": TWO_ITEMS, "facts": units}).json()
    [unit] = data["units"]
    assert unit["nodes"] == {"r": "2.88", "a": "2.68", "b": "0.20"}  # 2.68 + 0.20 = 2.88
    assert unit["total"] == "2.88"


def test_bad_facts_are_rejected_unit_by_unit(server):
    units = [
        {"id": "好", "facts": {"a": 3, "b": 4}},
        {"id": "坏", "facts": {"a": "三", "b": 4, "c": 1}},
        {"facts": {"a": 1, "b": 1}},
        {"id": "超", "facts": {"a": 6, "b": 1}},
    ]
    response = server.post("/score", {"scheme": TWO_ITEMS, "facts": {"units": units}})
    assert response.status_code == 200, response.text
    data = response.json()
    assert (data["submitted"], data["scored"]) == (4, 1)
    [good] = data["units"]
    assert (good["unit"], Decimal(good["total"])) == ("好", Decimal(7))  # 3 + 4
    rejected = {r["unit"]: r for r in data["rejected"]}
    assert set(rejected) == {"坏", "#3", "超"}
    assert {d["code"] for d in rejected["坏"]["diagnostics"]} == {"GS401", "GS403"}
    assert [d["code"] for d in rejected["#3"]["diagnostics"]] == ["GS403"]
    assert [d["code"] for d in rejected["超"]["diagnostics"]] == ["GS404"]  # 6 > max 5
    assert rejected["坏"]["index"] == 1
    # the same diagnostics as the library gives
    plan = govscore.compile(govscore.load(text=TWO_ITEMS, name="scheme.yaml"))
    assessment = govscore.evaluate_all(plan, units)
    assert data["rejected"] == [
        {"index": r.index, "unit": r.unit, "diagnostics": [d.to_dict() for d in r.diagnostics]}
        for r in assessment.rejected]


def test_an_oversize_body_is_refused_naming_the_limit(server):
    big = to_json({"scheme_id": "s3-chengdu", "facts": {"units": [], "note": "x" * BODY_LIMIT}})
    response = server.post("/score", big)
    assert response.status_code == 413
    error = response.json()["error"]
    assert (error["code"], error["limit"], error["limit_value"]) == ("GS901", "max_body_bytes",
                                                                     BODY_LIMIT)
    # without a Content-Length (chunked), refused as the bytes pass the limit
    chunks = (big.encode()[i:i + 16_384] for i in range(0, len(big.encode()), 16_384))
    response = server.client.post("/score", content=chunks,
                                  headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "GS901"
    # a body within the limit is worked on
    small = {"scheme": TWO_ITEMS, "facts": [{"id": "U", "facts": {"a": 1, "b": 1}}]}
    assert server.post("/score", small).status_code == 200


def test_too_many_units_are_refused_naming_the_limit(server):
    units = [{"id": f"u{i}", "facts": {"a": 1, "b": 1}} for i in range(UNIT_LIMIT + 1)]
    response = server.post("/score", {"scheme": TWO_ITEMS, "facts": units})
    assert response.status_code == 413
    error = response.json()["error"]
    assert (error["code"], error["limit"], error["limit_value"]) == ("GS902", "max_units", UNIT_LIMIT)
    assert server.post("/score", {"scheme": TWO_ITEMS, "facts": units[:UNIT_LIMIT]}).status_code == 200


def test_malformed_requests_are_refused_with_every_problem(server):
    cases = [
        ("{not json", 422, "GS905"),
        ("[1, 2]", 422, "GS905"),
        (b"\xff\xfe{}", 422, "GS905"),
        ({"scheme_id": "s3-chengdu"}, 422, "GS905"),  # no facts
        ({"scheme_id": "s3-chengdu", "scheme": TWO_ITEMS, "facts": []}, 422, "GS905"),
        ({"facts": []}, 422, "GS905"),
        ({"scheme_id": "s3-chengdu", "facts": {"unit": []}}, 422, "GS905"),
        ({"scheme_id": "s3-chengdu", "facts": [], "extra": 1}, 422, "GS905"),
        ({"scheme_id": "nope", "facts": []}, 404, "GS906"),
        ({"scheme": BROKEN, "facts": []}, 422, "GS907"),
    ]
    for body, status, code in cases:
        response = server.post("/score", body)
        assert (response.status_code, response.json()["error"]["code"]) == (status, code), body
    response = server.post("/score", {"scheme": BROKEN, "facts": []})
    assert [d["code"] for d in response.json()["error"]["diagnostics"]] == ["GS201", "GS203"]
    assert server.client.get("/nowhere").json()["error"]["code"] == "GS906"


def test_text_that_is_not_text_never_breaks_an_answer(server):
    """A JSON escape of a lone surrogate (\\ud800) is not text: wherever a request puts one (a
    unit id, a fact name, a key, the scheme, a scheme id) the answer is still JSON that names it by
    its escape where it names it, never a 500."""
    cases = [
        # an id that is not text makes the facts unreadable, as in a facts file (GS409 inside)
        ('{"scheme_id": "s3-chengdu", "facts": [{"id": "\\ud800", "facts": {}}]}', 422),
        ('{"scheme_id": "s3-chengdu", "facts": [{"id": "a", "facts": {"\\ud800": 1}}]}', 200),
        ('{"scheme_id": "\\ud800", "facts": []}', 404),
        ('{"\\ud800": 1, "scheme_id": "s3-chengdu", "facts": []}', 422),
        ('{"scheme": "\\ud800", "facts": []}', 422),
        ('{"scheme": "govscore: \\"1\\"\\nid: \\ud800\\n"}', 422),
        ('{"scheme_id": "s3-chengdu", "facts": [{"id": "a", "facts": {}}], "unit": "\\ud800"}',
         404),
    ]
    for body, status in cases:
        path = "/explain" if '"unit"' in body else "/score"
        response = server.post(path, body.encode())
        assert response.status_code == status, (body, response.text)
        assert isinstance(response.json(), dict), body  # JSON, in UTF-8
    # validate takes the scheme as it comes and reports what is wrong with it (GS102: not UTF-8)
    response = server.post("/validate", b'{"scheme": "govscore: \\"1\\"\\nid: \\ud800\\n"}')
    assert response.status_code == 200
    assert [d["code"] for d in response.json()["diagnostics"]] == ["GS102"]


def test_validate_gives_what_the_command_line_gives(server, tmp_path, monkeypatch):
    response = server.post("/validate", {"scheme": BROKEN, "name": "bad.yaml"})
    assert response.status_code == 200
    data = response.json()
    assert (data["valid"], data["errors"], data["warnings"]) == (False, 2, 0)
    monkeypatch.chdir(tmp_path)
    Path("bad.yaml").write_text(BROKEN, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert run(["validate", "--format", "json", "bad.yaml"], out, err) == 1
    assert data["diagnostics"] == json.loads(out.getvalue())["bad.yaml"]
    first = data["diagnostics"][0]
    assert (first["line"], first["column"], first["code"], first["path"]) == (6, 26, "GS201", "/score/weigth")
    assert first["message"]
    assert "hint" in data["diagnostics"][1] or "hint" in first
    good = server.post("/validate", {"scheme": (ROOT / "schemes" / "s3-chengdu.yaml").read_text("utf-8")})
    assert good.json()["valid"] is True
    assert good.json()["scheme_id"] == "s3-chengdu"
    assert [d["code"] for d in good.json()["diagnostics"]] == ["GS303"]  # a warning only


def test_explain_one_unit_as_text_and_as_data(server, s3_units):
    body = {"scheme_id": "s3-chengdu", "facts": s3_units, "unit": "锦江区"}
    zh = server.post("/explain", body).json()
    en = server.post("/explain", {**body, "lang": "en"}).json()
    assert zh["scored"] is True
    assert Decimal(zh["total"]) == Decimal(88)  # 70 + 20 − 2, as worked above
    assert zh["text"].startswith("锦江区")
    assert "排名" in zh["text"]
    assert "rank: 2 of 6 units" in en["text"]
    nodes = {n["id"]: n for n in zh["nodes"]}
    assert Decimal(nodes["bonus"]["value"]) == Decimal(20)
    # 超期 1 × 2 = 2 (per_occurrence); the trace is data with decimal strings
    assert Decimal(nodes["ded_overdue"]["value"]) == Decimal(2)
    assert all(isinstance(step["before"], str) for step in zh["trace"])
    assert zh["placement"]["rank"] == 2
    # a rejected unit: its problems; an unknown one: 404
    bad = [*s3_units[:2], {"id": "坏区", "facts": {"base": "yes"}}]
    rejected = server.post("/explain", {"scheme_id": "s3-chengdu", "facts": bad, "unit": "坏区"})
    assert rejected.status_code == 200
    assert rejected.json()["scored"] is False
    assert rejected.json()["diagnostics"]
    missing = server.post("/explain", {**body, "unit": "无此区"})
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "GS906")


def test_the_openapi_document_is_valid_and_describes_the_answers(server, s3_units):
    validator = pytest.importorskip("openapi_spec_validator")
    jsonschema = pytest.importorskip("jsonschema")
    document = server.client.get("/openapi.json").json()
    validator.validate(document)
    assert set(document["paths"]) >= {"/validate", "/score", "/explain", "/schema", "/schemes",
                                      "/health", "/version", "/limits"}
    schemas = document["components"]["schemas"]
    for name in ("ScoreRequest", "ExplainRequest", "ValidateRequest", "ScoreResponse",
                 "ExplainResponse", "ValidateResponse", "ErrorResponse"):
        assert name in schemas, name
    score = document["paths"]["/score"]["post"]
    assert score["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ScoreRequest"}
    assert {"200", "404", "413", "422", "503"} <= set(score["responses"])

    def check(model: str, instance: Any) -> None:
        schema = {"$ref": f"#/components/schemas/{model}", "components": document["components"]}
        errors = list(jsonschema.Draft202012Validator(schema).iter_errors(instance))
        assert errors == [], f"{model}: {errors[0].message}"

    body = {"scheme_id": "s3-chengdu", "facts": {"units": s3_units}}
    check("ScoreRequest", json.loads(to_json(body)))
    check("ScoreResponse", server.post("/score", body).json())
    check("ExplainResponse", server.post("/explain", {**body, "unit": "锦江区"}).json())
    check("ValidateResponse", server.post("/validate", {"scheme": BROKEN}).json())
    check("ErrorResponse", server.post("/score", {"facts": []}).json())
    # and the check is not vacuous: a float total does not match ScoreResponse
    wrong = server.post("/score", body).json()
    wrong["units"][0]["total"] = 88.5
    schema = {"$ref": "#/components/schemas/ScoreResponse", "components": document["components"]}
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(wrong))


def test_work_past_the_time_limit_is_answered_503(folder, s3_units):
    """A time limit a million times shorter than the work (scoring 20 units, parsing their JSON)
    refuses it; the limit binds on the amount of work, not on how fast this machine is."""
    slow = Server("--schemes", str(folder), "--time-limit", "0.000001", "--workers", "1")
    try:
        response = slow.post("/score", {"scheme_id": "s3-chengdu", "facts": s3_units})
        assert response.status_code == 503
        error = response.json()["error"]
        assert (error["code"], error["limit"], error["limit_value"]) == ("GS903", "time_limit", 1e-06)
        assert slow.client.get("/health").status_code == 200  # the server is still up
    finally:
        slow.stop()


def test_a_folder_with_a_broken_scheme_does_not_start(tmp_path):
    shutil.copy(ROOT / "schemes" / "s3-chengdu.yaml", tmp_path / "s3-chengdu.yaml")
    (tmp_path / "bad.yaml").write_text(BROKEN, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "govscore", "serve", "--schemes", str(tmp_path),
                           "--port", str(_free_port())],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1
    assert f"{tmp_path / 'bad.yaml'}:6:26: GS201 " in done.stderr
    assert "not serving: 1 scheme file(s) invalid" in done.stderr


def test_two_schemes_with_one_id_do_not_start(tmp_path):
    pytest.importorskip("fastapi")
    from govscore import service

    shutil.copy(ROOT / "schemes" / "s3-chengdu.yaml", tmp_path / "a.yaml")
    shutil.copy(ROOT / "schemes" / "s3-chengdu.yaml", tmp_path / "b.yaml")
    served, problems = service.load_schemes(tmp_path)
    assert list(served.plans) == ["s3-chengdu"]
    assert [d.code for d in problems[str(tmp_path / "b.yaml")] if d.severity == "error"] == ["GS301"]
    out, err = io.StringIO(), io.StringIO()
    assert run(["serve", "--schemes", str(tmp_path)], out, err) == 1
    assert "b.yaml" in err.getvalue()


def test_serve_options_are_checked(tmp_path):
    out, err = io.StringIO(), io.StringIO()
    assert run(["serve", "--schemes", str(tmp_path / "nope")], out, err) == 2
    for bad in (["--time-limit", "0"], ["--time-limit", "nan"], ["--port", "70000"],
                ["--max-units", "0"]):
        assert run(["serve", *bad], out, err) == 2, bad
    help_out = io.StringIO()
    run(["serve", "--help"], help_out, err)
    for option in ("--max-body-bytes", "--max-units", "--time-limit", "--workers", "413", "503"):
        assert option in help_out.getvalue()


# ------------------------------------------------------------------------------------------------
# the curl example of docs/service.md and docs/service.zh.md, run against the server

_BLOCK = re.compile(r"<!--\s*(?P<mark>[^>]*?)\s*-->\s*\n```(?P<lang>\w*)\n(?P<body>.*?)\n```", re.S)


def _marked(page: Path) -> dict[str, str]:
    """The fenced blocks of a page by the mark just above them (file: NAME, curl, answer)."""
    return {m["mark"]: m["body"] for m in _BLOCK.finditer(page.read_text(encoding="utf-8"))}


def _contains(whole: Any, part: Any) -> bool:
    """``part`` is in ``whole``: mappings by key, lists element by element from the start."""
    if isinstance(part, dict):
        return isinstance(whole, dict) and all(k in whole and _contains(whole[k], v)
                                               for k, v in part.items())
    if isinstance(part, list):
        return isinstance(whole, list) and len(whole) >= len(part) and \
            all(_contains(w, p) for w, p in zip(whole, part, strict=False))
    return bool(whole == part)


def _curl(command: str, server: Server, folder: Path) -> httpx.Response:
    """The doc's curl command, sent by httpx: its method, URL path, headers and body."""
    argv = shlex.split(command)
    assert argv[0] == "curl", command
    method, headers, body, url = "GET", {}, None, None
    args = iter(argv[1:])
    for arg in args:
        if arg in ("-s", "--silent"):
            continue
        if arg in ("-H", "--header"):
            key, _, value = next(args).partition(":")
            headers[key.strip()] = value.strip()
        elif arg in ("-d", "--data", "--data-binary"):
            value = next(args)
            body = (folder / value[1:]).read_bytes() if value.startswith("@") else value.encode()
            method = "POST"
        elif arg in ("-X", "--request"):
            method = next(args)
        else:
            url = arg
    assert url is not None, command
    assert url.startswith("http://127.0.0.1:8000/"), command
    return server.client.request(method, url.removeprefix("http://127.0.0.1:8000"),
                                 headers=headers, content=body)


@pytest.mark.parametrize("page", ["service.md", "service.zh.md"])
def test_the_docs_curl_example_gives_the_answer_shown(server, page, tmp_path):
    blocks = _marked(ROOT / "docs" / page)
    (tmp_path / "request.json").write_text(blocks["file: request.json"], encoding="utf-8")
    response = _curl(blocks["curl"], server, tmp_path)
    assert response.status_code == 200, response.text
    shown = json.loads(blocks["answer"])
    assert _contains(response.json(), shown), (
        f"docs/{page}: the answer shown is not in what the server gave:\n"
        f"{json.dumps(response.json(), ensure_ascii=False)[:3000]}")
    if shutil.which("curl"):  # and with curl itself, where the machine has it
        done = subprocess.run([*shlex.split(blocks["curl"].replace(
            "http://127.0.0.1:8000", server.url))], cwd=tmp_path, capture_output=True,
            timeout=120, check=True)
        assert _contains(json.loads(done.stdout), shown)


def test_without_the_service_extra_serve_says_what_to_install(monkeypatch):
    monkeypatch.delitem(sys.modules, "govscore.service", raising=False)
    # 'from govscore import service' finds the package's attribute before sys.modules: an earlier
    # test's import would otherwise make this one start a real server
    monkeypatch.delattr(govscore, "service", raising=False)
    monkeypatch.setitem(sys.modules, "fastapi", None)  # as if not installed
    out, err = io.StringIO(), io.StringIO()
    assert run(["serve"], out, err) == 2
    assert err.getvalue() == ("govscore: GS701 govscore serve needs the service extra (fastapi is "
                              "missing): pip install 'govscore[service]'\n")


def test_workers_refuse_when_busy_and_hold_a_slot_until_the_work_ends():
    """The worker pool in-process, driven by events, not clocks: a job that cannot finish until
    the test lets it holds its worker past its time limit, so the next request is refused at once
    (GS904); once it has ended, the worker is free again."""
    import asyncio
    import threading

    from govscore import service

    workers = service.Workers(service.Limits(workers=1, time_limit=0.05))
    release = threading.Event()
    finished = threading.Event()

    def stuck() -> dict[str, Any]:
        release.wait(60)
        finished.set()
        return {"late": True}

    async def scenario() -> list[str]:
        codes = []
        for job in (stuck, lambda: {"ok": True}):
            try:
                await workers.run(job)
                codes.append("ok")
            except service.ServiceError as exc:
                codes.append(exc.code)
        release.set()
        await asyncio.get_running_loop().run_in_executor(None, finished.wait, 60)
        for _ in range(100):  # the slot is given back just after the job returns
            try:
                codes.append(str(await workers.run(lambda: {"ok": True})))
                break
            except service.ServiceError as exc:
                if exc.code != "GS904":
                    codes.append(exc.code)
                    break
                await asyncio.sleep(0.01)
        return codes

    try:
        # the stuck job: past its time limit (GS903); the next one: no worker free (GS904)
        assert asyncio.run(scenario()) == ["GS903", "GS904", "{'ok': True}"]
    finally:
        release.set()
        workers.shutdown()


def test_an_unexpected_failure_is_a_500_that_echoes_nothing(monkeypatch):
    """In-process (httpx's ASGI transport): a bug inside the work is answered GS908 as JSON, and
    nothing of the exception (which could hold request data) reaches the client."""
    import asyncio

    from govscore import service

    def broken(body: bytes, served: Any, limits: Any) -> dict[str, Any]:
        raise RuntimeError("secret 锦江区 facts")

    monkeypatch.setattr(service, "do_score", broken)

    async def ask() -> httpx.Response:
        transport = httpx.ASGITransport(app=service.create_app(), raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://govscore") as client:
            return await client.post("/score", content=b"{}")

    response = asyncio.run(ask())
    assert response.status_code == 500
    assert response.json() == {"error": {"status": 500, "code": "GS908", "message": (
        "internal error: the request could not be worked on")}}
    assert "secret" not in response.text
