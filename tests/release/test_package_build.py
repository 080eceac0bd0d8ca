"""scripts/package: reproducible, complete artifacts with a correct manifest."""

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from release.layout import project_version
from release.package import build
from release.render import (
    RenderError,
    parse_template,
    pin_code_versions,
    pin_parameter,
    set_parameter_default,
)
from release.zips import write_zip

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = {
    "seeder_lambda.zip",
    "trigger_lambda.zip",
    "token_monitor_lambda.zip",
    "seed_build_repo.zip",
    "seed_deploy_repo.zip",
    "template.yaml",
    "platform.yaml",
}


@pytest.fixture(scope="session")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A snapshot of the real tree's packaged parts, so that edits made while the tests run (other people
    work in this checkout) cannot make the two builds differ."""
    snapshot = tmp_path_factory.mktemp("tree")
    shutil.copy2(ROOT / "pyproject.toml", snapshot / "pyproject.toml")
    for part in (
        "product",
        "contracts",
        "seeder_lambda",
        "trigger_lambda",
        "token_monitor_lambda",
        "seed_build_repo",
        "seed_deploy_repo",
    ):
        shutil.copytree(ROOT / part, snapshot / part, symlinks=True)
    return snapshot


@pytest.fixture(scope="session")
def two_builds(tree: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The tree packaged twice, into two different directories, seconds apart."""
    first = build(tree, tmp_path_factory.mktemp("dist-a"), "7.7.7", log=lambda _: None)
    second = build(tree, tmp_path_factory.mktemp("dist-b"), "7.7.7", log=lambda _: None)
    return first, second


def test_two_builds_are_byte_identical(two_builds: tuple[Path, Path]) -> None:
    first, second = two_builds
    names = sorted(path.name for path in first.iterdir())
    assert names == sorted(path.name for path in second.iterdir())
    assert set(names) == ARTIFACTS | {"manifest.json"}
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_manifest_names_the_version_and_the_sha256_of_every_artifact(two_builds: tuple[Path, Path]) -> None:
    directory = two_builds[0]
    manifest = json.loads((directory / "manifest.json").read_text())
    assert manifest["version"] == "7.7.7"
    assert manifest["s3_prefix"] == "sagemaker-gitlab/7.7.7"
    assert set(manifest["artifacts"]) == ARTIFACTS
    for name, facts in manifest["artifacts"].items():
        data = (directory / name).read_bytes()
        assert facts == {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}, name


@pytest.mark.parametrize(
    ("artifact", "package", "dependencies"),
    [
        ("seeder_lambda.zip", "seeder", ("gitlab/__init__.py", "requests/__init__.py")),
        (
            "trigger_lambda.zip",
            "trigger",
            ("gitlab/__init__.py", "requests/__init__.py"),
        ),
    ],
)
def test_lambda_zips_hold_the_handler_and_pinned_dependencies_for_arm64(
    tree: Path, two_builds: tuple[Path, Path], artifact: str, package: str, dependencies: tuple[str, ...]
) -> None:
    with zipfile.ZipFile(two_builds[0] / artifact) as archive:
        infos = archive.infolist()
        names = {info.filename for info in infos}
        assert f"{package}/handler.py" in names
        sources = {
            f"{package}/{path.relative_to(tree / f'{package}_lambda' / package).as_posix()}"
            for path in (tree / f"{package}_lambda" / package).rglob("*.py")
            if "__pycache__" not in path.parts
        }
        assert sources <= names
        shared = {
            f"contracts/{path.relative_to(tree / 'contracts' / 'contracts').as_posix()}"
            for path in (tree / "contracts" / "contracts").rglob("*.py")
            if "__pycache__" not in path.parts
        }
        assert "contracts/names.py" in shared
        assert shared <= names
        assert all(dependency in names for dependency in dependencies)
        # Requirement lines are `name==version ; marker \` (uv export), hash and comment lines indented.
        pins = [
            line.split(" ", 1)[0].split("==")
            for line in (tree / f"{package}_lambda" / "requirements.txt").read_text().splitlines()
            if "==" in line and not line.startswith((" ", "#"))
        ]
        installed = {
            name.split("/")[0].lower() for name in names if name.split("/")[0].endswith(".dist-info")
        }
        assert pins, "no pinned requirement parsed"
        for distribution, version in pins:
            normalised = distribution.strip().replace("-", "_").lower()
            assert f"{normalised}-{version.split()[0]}.dist-info" in installed, distribution
        assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc") or n.startswith("bin/")]
        assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}
        assert {stat.S_IMODE(info.external_attr >> 16) for info in infos} <= {0o644, 0o755}
        assert [info.filename for info in infos] == sorted(names)
        # No compiled extension built for another platform slipped in (python-gitlab & co are pure Python).
        assert not [n for n in names if n.endswith(".so") and "x86_64" in n]


@pytest.mark.parametrize(
    ("artifact", "folder"),
    [("seed_build_repo.zip", "seed_build_repo"), ("seed_deploy_repo.zip", "seed_deploy_repo")],
)
def test_seed_repo_zips_hold_the_repo_files_at_the_root(
    tree: Path, two_builds: tuple[Path, Path], artifact: str, folder: str
) -> None:
    excluded = {
        "__pycache__",
        ".pytest_cache",
        ".venv",
        ".mypy_cache",
        ".ruff_cache",
        ".git",
        ".gitlab-ci-local",
    }
    expected = {
        path.relative_to(tree / folder).as_posix()
        for path in (tree / folder).rglob("*")
        if path.is_file()
        and not excluded & set(path.relative_to(tree / folder).parts)
        and path.suffix != ".pyc"
    }
    with zipfile.ZipFile(two_builds[0] / artifact) as archive:
        assert set(archive.namelist()) == expected
    assert expected  # the seed repo is not empty


def test_rendered_templates_point_at_this_version(tree: Path, two_builds: tuple[Path, Path]) -> None:
    template = parse_template((two_builds[0] / "template.yaml").read_text())
    assert template["Parameters"]["ArtifactsPrefix"]["Default"] == "sagemaker-gitlab/7.7.7"
    platform = parse_template((two_builds[0] / "platform.yaml").read_text())
    assert platform["Parameters"]["ProductVersion"]["Default"] == "7.7.7"
    committed = parse_template((tree / "product" / "template.yaml").read_text())
    committed["Parameters"]["ArtifactsPrefix"]["Default"] = "sagemaker-gitlab/7.7.7"
    assert template == committed  # nothing else changes


def test_zip_timestamps_follow_source_date_epoch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "a.sh"
    source.write_text("echo hi\n")
    source.chmod(0o700)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # 2023-11-14 22:13:20 UTC
    write_zip(tmp_path / "out.zip", [("a.sh", source)])
    (info,) = zipfile.ZipFile(tmp_path / "out.zip").infolist()
    assert info.date_time == (2023, 11, 14, 22, 13, 20)
    assert stat.S_IMODE(info.external_attr >> 16) == 0o755  # executables stay executable, normalised


def test_caches_virtualenvs_and_vcs_data_are_never_shipped(tmp_path: Path) -> None:
    from release.zips import tree_files

    for relative in (
        "keep.py", ".gitlab-ci.yml", "pkg/mod.py",
        "pkg/__pycache__/mod.cpython-313.pyc", "other.pyc", ".venv/lib/x.py", ".git/HEAD",
        ".pytest_cache/v", "node_modules/a/index.js", "pkg.egg-info/PKG-INFO", ".coverage", "dist/a.zip",
    ):  # fmt: skip
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
    assert sorted(name for name, _ in tree_files(tmp_path)) == [".gitlab-ci.yml", "keep.py", "pkg/mod.py"]


def test_zip_refuses_two_files_with_the_same_archive_path(tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    one.write_text("1")
    two.write_text("2")
    with pytest.raises(ValueError, match="same archive path"):
        write_zip(tmp_path / "out.zip", [("x.py", one), ("x.py", two)])


def test_set_parameter_default_adds_or_replaces_and_keeps_comments() -> None:
    text = "Parameters:\n  A:\n    # why A\n    Type: String\n  B:\n    Type: String\n    Default: old\nResources: {}\n"
    rendered = set_parameter_default(set_parameter_default(text, "A", "new-a"), "B", "new-b")
    assert rendered == (
        "Parameters:\n  A:\n    # why A\n    Type: String\n    Default: new-a\n  B:\n    Type: String\n"
        "    Default: new-b\nResources: {}\n"
    )
    with pytest.raises(RenderError, match="not found"):
        set_parameter_default(text, "C", "x")
    with pytest.raises(RenderError, match="unusual characters"):
        set_parameter_default(text, "A", "x: !Ref y")


def test_pin_parameter_leaves_exactly_one_allowed_value_quoted_as_a_string() -> None:
    text = (
        'Parameters:\n  V:\n    # why V\n    Type: String\n    Description: x\n    Default: ""\n'
        "  W:\n    Type: String\nResources: {}\n"
    )
    # S3 version ids are opaque; one made of digits must stay a string, "+/=" must survive.
    assert pin_parameter(text, "V", "0123") == (
        'Parameters:\n  V:\n    # why V\n    Type: String\n    Default: "0123"\n    AllowedValues: ["0123"]\n'
        "    Description: x\n  W:\n    Type: String\nResources: {}\n"
    )
    assert parse_template(pin_parameter(text, "V", "a+b/c="))["Parameters"]["V"]["AllowedValues"] == [
        "a+b/c="
    ]
    for bad in ("null", "", 'a"b', "a b", "x\ny"):
        with pytest.raises(RenderError, match="refusing to pin"):
            pin_parameter(text, "V", bad)
    listed = "Parameters:\n  V:\n    Type: String\n    AllowedValues:\n      - a\nResources: {}\n"
    with pytest.raises(RenderError, match="multi-line list"):
        pin_parameter(listed, "V", "a")


def test_the_project_template_has_both_code_version_parameters_to_pin() -> None:
    text = (ROOT / "product" / "template.yaml").read_text()
    pinned = parse_template(pin_code_versions(text, {"seeder_lambda.zip": "s1", "trigger_lambda.zip": "t1"}))
    assert pinned["Parameters"]["SeederCodeS3Version"]["AllowedValues"] == ["s1"]
    assert pinned["Parameters"]["TriggerCodeS3Version"]["AllowedValues"] == ["t1"]
    with pytest.raises(RenderError, match=r"no uploaded version of trigger_lambda\.zip"):
        pin_code_versions(text, {"seeder_lambda.zip": "s1"})


def test_package_cli_rejects_a_bad_version_without_building(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            str(ROOT / ".venv" / "bin" / "python"),
            "-m",
            "release.package",
            "--version",
            "1.0 beta",
            "--dist",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "scripts")},
        check=False,
    )
    assert result.returncode == 1
    assert "invalid version '1.0 beta'" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_default_version_is_the_project_version() -> None:
    import tomllib

    assert project_version() == tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


@pytest.mark.parametrize("artifact", ["seeder_lambda.zip", "trigger_lambda.zip", "token_monitor_lambda.zip"])
def test_the_shared_contracts_import_from_the_unpacked_zip_alone(
    two_builds: tuple[Path, Path], artifact: str, tmp_path: Path
) -> None:
    """The Lambda runtime puts the unpacked zip on sys.path: contracts must come from there, not the repo."""
    with zipfile.ZipFile(two_builds[0] / artifact) as archive:
        archive.extractall(tmp_path)
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]); "
        "import contracts.names, contracts.trigger_secret, contracts.ci_variables, contracts.jsonlog; "
        "print(contracts.names.__file__)"
    )
    result = subprocess.run(
        [sys.executable, "-S", "-E", "-c", probe, str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()).resolve() == (tmp_path / "contracts" / "names.py").resolve()
