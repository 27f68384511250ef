"""Run the `steps:` of a composite action.yml for real, with bash, the way a runner would.

For each step it substitutes the expressions a runner would in `env:` values
(`${{ inputs.x }}` with the action's defaults, `${{ github.action_path }}`,
`${{ github.token }}`, `${{ steps.<id>.outputs.<name> }}`, `${{ env.X }}`,
`${{ runner.temp }}`, `${{ runner.os }}`), gives the step fresh `GITHUB_OUTPUT`,
`GITHUB_ENV` and `GITHUB_STEP_SUMMARY` files, runs its script with
`bash --noprofile --norc -eo pipefail` (GitHub's `shell: bash`), and reads back what
it wrote. The log's workflow commands are read as the runner reads them: a line is
a command when it starts with `::` once leading whitespace is trimmed, or holds a
legacy `##[command]` anywhere; none is read between `::stop-commands::TOKEN` and
`::TOKEN::`. `::add-mask::` lines are taken out, as the runner takes them out, and
kept in `masks`; nothing is masked in the log, so a test can check that a secret
never reached it at all.

Any expression inside a `run:` script fails the run: values reach scripts through
`env:` only (script injection hygiene). An expression this harness does not know
fails too, so the action cannot depend on something untested.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
COMMAND = re.compile(r"^::(?P<name>[A-Za-z-]+)(?: (?P<props>[^:]*))?::(?P<data>.*)$")
LEGACY_COMMAND = re.compile(r"##\[(?P<name>[A-Za-z-]+)(?: (?P<props>[^\]]*))?\](?P<data>.*)$")
ANNOTATIONS = ("error", "warning", "notice")
HEREDOC = re.compile(r"^(?P<name>[^=<]+)<<(?P<delimiter>.+)$")
STEP_TIMEOUT = 300


class ActionDefinitionError(AssertionError):
    """action.yml does something a runner would refuse, or something this harness cannot run."""


@dataclass(frozen=True)
class Annotation:
    kind: str
    properties: dict[str, str]
    message: str


@dataclass(frozen=True)
class StepRun:
    name: str
    returncode: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str
    annotations: list[Annotation] = field(default_factory=list)


@dataclass
class ActionRun:
    steps: list[StepRun] = field(default_factory=list)
    masks: list[str] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)

    @property
    def returncode(self) -> int:
        failed = [s.returncode for s in self.steps if s.returncode != 0]
        return failed[0] if failed else 0

    @property
    def log(self) -> str:
        """stdout and stderr of every step, as the job log shows them (unmasked here)."""
        return "".join(step.stdout + step.stderr for step in self.steps)

    @property
    def summary(self) -> str:
        return "".join(step.summary for step in self.steps)

    @property
    def annotations(self) -> list[Annotation]:
        return [annotation for step in self.steps for annotation in step.annotations]


@dataclass
class Commands:
    """What the runner made of a step's output: the log it shows, masks, annotations."""

    log: str
    masks: list[str]
    annotations: list[Annotation]


def read_commands(output: str) -> Commands:
    """The workflow commands in `output`, read line by line as the runner reads them."""
    kept: list[str] = []
    masks: list[str] = []
    annotations: list[Annotation] = []
    stop_token: str | None = None
    for line in output.splitlines(keepends=True):
        bare = line.strip()
        if stop_token is not None:
            if bare == f"::{stop_token}::":
                stop_token = None
            else:
                kept.append(line)
            continue
        v2 = COMMAND.match(bare)
        legacy = None if v2 else LEGACY_COMMAND.search(bare)
        match = v2 or legacy
        if match is None:
            kept.append(line)
            continue
        name, data = match["name"].lower(), match["data"]
        separator = "," if v2 else ";"
        if name == "stop-commands" and data:
            stop_token = data
        elif name == "add-mask":
            masks.append(data)
        else:
            kept.append(line)
            if name in ANNOTATIONS:
                props = dict(
                    _unescape(p).split("=", 1)
                    for p in (match["props"] or "").split(separator)
                    if "=" in p
                )
                annotations.append(Annotation(name, props, _unescape(data)))
    return Commands("".join(kept), masks, annotations)


def load_action(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or data.get("runs", {}).get("using") != "composite":
        raise ActionDefinitionError(f"{path} is not a composite action")
    for step in data["runs"]["steps"]:
        check_step(step)
    return data


def check_step(step: Mapping[str, Any]) -> None:
    name = step.get("name") or step.get("id") or "a step"
    if "run" not in step:
        raise ActionDefinitionError(f"{name}: only `run:` steps are supported")
    if "${{" in str(step["run"]):
        raise ActionDefinitionError(
            f"{name}: `${{{{` inside a run script; pass the value through env: instead"
        )
    if step.get("shell") != "bash":
        raise ActionDefinitionError(f"{name}: shell must be bash (it exists on every runner)")
    if "if" in step or "working-directory" in step:
        raise ActionDefinitionError(f"{name}: `if:`/`working-directory:` are not emulated")


def run_action(
    action_path: Path,
    *,
    inputs: Mapping[str, str],
    env: Mapping[str, str],
    workspace: Path,
    runner_temp: Path,
    token: str,
) -> ActionRun:
    """Run every step of `action_path`/action.yml in `workspace`; stop at the first failure."""
    action = load_action(action_path / "action.yml")
    declared = action.get("inputs") or {}
    unknown = set(inputs) - set(declared)
    if unknown:
        raise ActionDefinitionError(f"inputs not declared by the action: {sorted(unknown)}")
    context: dict[str, Any] = {
        "github": {"action_path": str(action_path), "token": token},
        "runner": {"temp": str(runner_temp), "os": env.get("RUNNER_OS", "Linux")},
        "env": dict(env),
        "steps": {},
    }
    resolved_inputs = {}
    for name, spec in declared.items():
        default = str((spec or {}).get("default", ""))
        resolved_inputs[name] = inputs.get(name, substitute(default, context))
    context["inputs"] = resolved_inputs

    result = ActionRun()
    job_env = dict(env)
    files = runner_temp / "_runner_files"
    files.mkdir(parents=True, exist_ok=True)
    for index, step in enumerate(action["runs"]["steps"]):
        step_env = dict(job_env)
        for key, value in (step.get("env") or {}).items():
            step_env[key] = substitute(str(value), context)
        output_file, env_file, summary_file = (
            files / f"{kind}_{index}" for kind in ("output", "env", "summary")
        )
        for file in (output_file, env_file, summary_file):
            file.write_text("", encoding="utf-8")
        step_env.update(
            GITHUB_OUTPUT=str(output_file),
            GITHUB_ENV=str(env_file),
            GITHUB_STEP_SUMMARY=str(summary_file),
            GITHUB_WORKSPACE=str(workspace),
            RUNNER_TEMP=str(runner_temp),
        )
        script = files / f"step_{index}.sh"
        script.write_text(str(step["run"]), encoding="utf-8")
        completed = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=workspace,
            env=step_env,
            capture_output=True,
            text=True,
            timeout=STEP_TIMEOUT,
            check=False,
        )
        out, err = read_commands(completed.stdout), read_commands(completed.stderr)
        result.masks += out.masks + err.masks
        outputs = parse_file_commands(output_file.read_text(encoding="utf-8"))
        job_env.update(parse_file_commands(env_file.read_text(encoding="utf-8")))
        context["env"] = dict(job_env)
        if "id" in step:
            context["steps"][step["id"]] = {"outputs": outputs}
        name = str(step.get("name") or step.get("id") or index)
        result.steps.append(
            StepRun(
                name,
                completed.returncode,
                out.log,
                err.log,
                outputs,
                summary_file.read_text(encoding="utf-8"),
                out.annotations + err.annotations,
            )
        )
        if completed.returncode != 0:
            break
    for name, spec in (action.get("outputs") or {}).items():
        result.outputs[name] = substitute(str(spec.get("value", "")), context)
    return result


def substitute(text: str, context: Mapping[str, Any]) -> str:
    return EXPRESSION.sub(lambda match: _evaluate(match.group(1), context), text)


def _evaluate(expression: str, context: Mapping[str, Any]) -> str:
    if not re.fullmatch(r"[A-Za-z_][\w-]*(\.[\w-]+)+", expression):
        raise ActionDefinitionError(f"expression not emulated: ${{{{ {expression} }}}}")
    root, *rest = expression.split(".")
    if root not in ("inputs", "github", "runner", "env", "steps"):
        raise ActionDefinitionError(f"context not emulated: {root}")
    value: Any = context[root]
    for part in rest:
        if not isinstance(value, Mapping):
            raise ActionDefinitionError(f"cannot evaluate ${{{{ {expression} }}}}")
        if root in ("github", "runner", "inputs") and part not in value:
            raise ActionDefinitionError(f"unknown property in ${{{{ {expression} }}}}")
        value = value.get(part, "")
    return "" if value is None else str(value)


def parse_file_commands(text: str) -> dict[str, str]:
    """`name=value` lines and `name<<DELIMITER` blocks, as GITHUB_OUTPUT and GITHUB_ENV hold."""
    values: dict[str, str] = {}
    lines = text.split("\n")
    index = 0
    while index < len(lines):
        line = lines[index].rstrip("\r")
        index += 1
        if not line:
            continue
        heredoc = HEREDOC.match(line)
        if heredoc:
            body: list[str] = []
            while index < len(lines) and lines[index].rstrip("\r") != heredoc["delimiter"]:
                body.append(lines[index])
                index += 1
            if index >= len(lines):
                raise ActionDefinitionError(f"unterminated {heredoc['name']}<< block")
            index += 1
            values[heredoc["name"]] = "\n".join(body)
            continue
        if "=" not in line:
            raise ActionDefinitionError(f"malformed file command line: {line!r}")
        name, value = line.split("=", 1)
        values[name] = value
    return values


def _unescape(text: str) -> str:
    for escaped, plain in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        text = text.replace(escaped, plain)
    return text


def base_environment(**extra: str) -> dict[str, str]:
    """A minimal runner-like environment: PATH and HOME from here, nothing else leaking in."""
    env = {
        name: os.environ[name] for name in ("PATH", "HOME", "LANG", "TMPDIR") if name in os.environ
    }
    env.update(
        CI="true",
        GITHUB_ACTIONS="true",
        RUNNER_OS="Linux",
        GIT_CONFIG_NOSYSTEM="1",
        NO_COLOR="1",
    )
    env.update(extra)
    return env
