"""Spec conformance: schemathesis, driven by Cortex's own OpenAPI spec (the scorecards part),
finds no response of the emulator that contradicts it.

Two runs against the emulator on loopback: positive mode (schema-valid requests, every
check) and negative mode (invalid requests must be refused). What is set aside, and why,
is listed below; nothing else is.

1. The spec is used with what it states in words but not in its schema
   (`_spec_with_prose_made_schema`), on both paged operations: `page` is 0-indexed and
   `pageSize` "between 1 and 1000"; and both have defaults ("Default 0", "Default 250"),
   so they are optional, though marked required (Cortex's official CLI leaves `pageSize`
   out of `scorecards scores`). Without this, schemathesis counts `pageSize=0` as valid
   and a request without `pageSize` as invalid.
2. Request examples are added (a descriptor body, exemption bodies naming a real rule), the
   emulator holds a scorecard under the spec's own example tag, and entity parameters are
   set to a catalog entity, so that requests reach the operations' 200 answers, whose
   bodies are then checked against the response schemas. None of it changes what is valid.
3. Positive-data acceptance also takes the spec's documented 400 where only state decides:
   `createOrUpdateScorecard` (the spec gives the YAML body no schema, so schemathesis counts
   any YAML, `null` or `0`, as a valid descriptor; Cortex answers "Invalid scorecard yaml")
   and approve/deny/revoke ("No pending exemptions ... found" when there is none to decide).
4. Negative mode without status-code conformance: the spec documents 400 only on three
   operations, yet a missing required `entityTag`, a missing body or an out-of-range
   integer gets a 400 from Cortex (a Spring service) everywhere. Negative mode still
   checks that such requests are refused, and every documented answer's schema.
5. `getScorecardDescriptor`: content-type conformance is off. The spec declares
   `application/json` with a string schema, but the body Cortex serves is the YAML text
   itself (`../shared/corpus/scorecards/*raw-GET-descriptor*` is one, byte for byte), so
   the emulator serves `application/yaml`; the official CLI and ours read it as text.

The tool lives in `.venv-tools` (installed by `.ci/run`); without it the test is skipped,
except in CI (`CI=true`), where its absence is a failure. The corpus must be present.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from scorecards_sync.descriptor import rule_identifier
from scorecards_sync.emulator import Emulator

REPO_ROOT = Path(__file__).resolve().parents[2]
SCHEMATHESIS = REPO_ROOT / ".venv-tools" / "bin" / "schemathesis"
SPEC = REPO_ROOT.parent / "shared" / "corpus" / "api" / "cortex-openapi-scorecards.json"
# The spec's own example of a scorecard tag: seeding it lets generated requests find one.
EXAMPLE_TAG = "my-production-readiness-checklist"
ENTITY = "checkout"
RULE_EXPRESSION = "ownership.allOwners().length > 0"
SEED_DESCRIPTOR = f"""\
tag: {EXAMPLE_TAG}
name: Production Readiness
description: Seeded for the conformance run.
exemptions:
  enabled: true
ladder:
  levels:
  - name: Bronze
    rank: 1
    color: "#CD7F32"
  - name: Silver
    rank: 2
    color: "#C0C0C0"
rules:
- title: Has owner
  expression: {RULE_EXPRESSION}
  level: Bronze
- title: Has on-call
  expression: oncall != null
  level: Silver
  failureMessage: Add an on-call rotation.
filter:
  kind: GENERIC
  types:
    include:
    - service
"""
# Every check is on by default; these are the narrow exceptions the module docstring explains.
CONFIG = f"""\
[parameters]
"path.scorecardTag" = "{EXAMPLE_TAG}"
"path.entityTag" = "{ENTITY}"
"path.tagOrId" = "{ENTITY}"
"query.entityTag" = "{ENTITY}"

[[operations]]
include-operation-id = "createOrUpdateScorecard"
checks.positive_data_acceptance.expected-statuses = [200, 400]

[[operations]]
include-operation-id = [
  "approveScorecardRuleExemption",
  "denyScorecardRuleExemption",
  "revokeScorecardRuleExemption",
]
checks.positive_data_acceptance.expected-statuses = [200, 400, 404]

[[operations]]
include-operation-id = "getScorecardDescriptor"
checks.content_type_conformance.enabled = false
"""

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def schemathesis() -> Path:
    if not SCHEMATHESIS.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{SCHEMATHESIS.relative_to(REPO_ROOT)} is missing; .ci/run installs it")
        pytest.skip("schemathesis is not installed in .venv-tools")
    return SCHEMATHESIS


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    if not SPEC.is_file():
        pytest.skip("../shared/corpus is absent; the conformance test needs its OpenAPI spec")
    loaded: dict[str, Any] = json.loads(SPEC.read_text(encoding="utf-8"))
    return loaded


def _spec_with_prose_made_schema(spec: dict[str, Any]) -> dict[str, Any]:
    patched = copy.deepcopy(spec)
    paths = patched["paths"]
    for path, method in [
        ("/api/v1/scorecards", "get"),
        ("/api/v1/scorecards/{tag}/scores", "get"),
    ]:
        for parameter in paths[path][method]["parameters"]:
            if parameter["name"] == "page":
                parameter["schema"]["minimum"] = 0
                parameter["required"] = False
            elif parameter["name"] == "pageSize":
                parameter["schema"].update(minimum=1, maximum=1000)
                parameter["required"] = False
    rule = rule_identifier(RULE_EXPRESSION)
    examples = {
        ("/api/v1/scorecards/descriptor", "post", "application/yaml;charset=UTF-8"): {
            "tag": "conformance-created",
            "name": "Conformance Created",
            "rules": [{"title": "Has README", "expression": 'git.fileExists("README.md")'}],
        },
        ("/api/v1/scorecards/{tag}/entity/{entityTag}/exemption", "post", "application/json"): {
            "ruleIdentifier": rule,
            "reason": "migrating",
            "days": 30,
        },
    }
    for action in ("approve", "deny", "revoke"):
        key = (f"/api/v1/scorecards/{{tag}}/entity/{{entityTag}}/exemption/{action}", "put")
        examples[(*key, "application/json")] = {"ruleIdentifier": rule, "reason": "done"}
    for (path, method, media_type), example in examples.items():
        paths[path][method]["requestBody"]["content"][media_type]["example"] = example
    return patched


def _run(tool: Path, spec_file: Path, config: Path, base_url: str, mode: str) -> str:
    command = [
        str(tool),
        "--no-color",
        "--config-file",
        str(config),
        "run",
        str(spec_file),
        "--url",
        base_url,
        "--header",
        "Authorization: Bearer conformance-key",
        "--mode",
        mode,
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--max-examples",
        "30",
        "--seed",
        "20240927",
        "--workers",
        "1",
        "--no-shrink",
    ]
    if mode == "negative":
        command += ["--exclude-checks", "status_code_conformance"]
    result = subprocess.run(
        command,
        cwd=spec_file.parent,
        capture_output=True,
        text=True,
        timeout=480,
        check=False,
        env={**os.environ, "SCHEMATHESIS_HOOKS": ""},
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-12000:]
    return output


@pytest.mark.parametrize("mode", ["positive", "negative"])
def test_schemathesis_finds_no_response_contradicting_the_spec(
    schemathesis: Path, spec: dict[str, Any], tmp_path: Path, mode: str
) -> None:
    spec_file = tmp_path / "cortex-openapi-scorecards.json"
    spec_file.write_text(json.dumps(_spec_with_prose_made_schema(spec)), encoding="utf-8")
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG, encoding="utf-8")
    emu = Emulator()
    emu.put_descriptor(SEED_DESCRIPTOR)
    with emu.serve() as server:
        output = _run(schemathesis, spec_file, config, server.base_url, mode)
    assert "No issues found" in output or " passed" in output
    # The run reached the operations' real answers, not only 404s.
    assert emu.stats.by_status[200] > 50
