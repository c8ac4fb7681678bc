"""Build the offline install bundle: dist/duban-<version>-offline/ and dist/duban-<version>-offline.zip.

For office PCs without internet (政务内网): the duban wheel and every dependency as a wheel for
each target in TARGETS, the installers (安装.cmd, install.sh, tools/install_helper.py), a
Chinese 安装说明.txt and SHA256SUMS. Run ``python scripts/build_offline.py [--dest dist]``
(``make dist``); ``--refresh`` asks the index for newer releases even when the cache would do.

pip evaluates environment markers for the machine it runs on, not for ``--platform``, so a
bundle built on Linux silently lacks Windows-only dependencies (xlwings -> pywin32). So for
each target, after pip has chosen the wheels, every requirement of every chosen wheel is
evaluated with ``packaging.markers`` against the target's environment; what pip left out is
downloaded too, and pip's resolver then installs the target from the bundle alone (a dry run
with ``--no-index``) before the bundle is written. A requirement without a wheel for a target
stops the build with a message naming both: an office PC must never build from source.

Downloads are kept in a cache (``$DUBAN_WHEEL_CACHE``, default ~/.cache/duban/offline-wheels)
and the cache is tried first, offline, so a rebuild asks the index only for what it lacks.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename

ROOT = Path(__file__).resolve().parent.parent
ASSETS = Path(__file__).resolve().parent / "offline"
DEFAULT_CACHE = Path.home() / ".cache" / "duban" / "offline-wheels"
GLIBC_NEWEST = 28  # Linux wheels may need at most glibc 2.28 (统信 UOS 20, 麒麟 V10, Debian 10)
# Files of the bundle and where they come from in scripts/offline/; text is rewritten with
# @VERSION@-style placeholders filled and the line ends Windows (CRLF) or Linux (LF) expects.
ASSET_FILES = {
    "安装.cmd": "\r\n",
    "安装说明.txt": "\r\n",
    "install.sh": "\n",
    "tools/install_helper.py": "\n",
}


class BuildError(Exception):
    """The bundle cannot be built; the message says which package and target, and why."""


@dataclass(frozen=True)
class Target:
    """A platform the bundle installs on: pip's --platform tags and the markers' environment."""

    title: str
    python: str  # "3.12"
    platforms: tuple[str, ...]  # pip --platform tags
    system: str  # platform.system() on the target: "Windows" or "Linux"
    machine: str  # platform.machine() on the target

    def pip_options(self) -> list[str]:
        """Return pip's options that select wheels for this target instead of this machine."""
        options = ["--only-binary=:all:", "--implementation", "cp", "--python-version", self.python]
        for tag in self.platforms:
            options += ["--platform", tag]
        return options

    def environment(self) -> dict[str, str]:
        """Return the PEP 508 marker environment of this target."""
        windows = self.system == "Windows"
        return {
            "implementation_name": "cpython",
            "implementation_version": f"{self.python}.0",
            "os_name": "nt" if windows else "posix",
            "platform_machine": self.machine,
            "platform_python_implementation": "CPython",
            "platform_release": "10" if windows else "",
            "platform_system": self.system,
            "platform_version": "10.0.19045" if windows else "",
            "python_full_version": f"{self.python}.0",
            "python_version": self.python,
            "sys_platform": "win32" if windows else "linux",
        }


def _manylinux(arch: str) -> tuple[str, ...]:
    return tuple(f"manylinux_2_{m}_{arch}" for m in range(GLIBC_NEWEST, 16, -1)) + (
        f"manylinux2014_{arch}",
    )


PYTHONS = ("3.11", "3.12")
TARGETS = tuple(
    Target(f"Windows x64, CPython {py}", py, ("win_amd64",), "Windows", "AMD64") for py in PYTHONS
) + tuple(
    Target(f"Linux {arch}, CPython {py}", py, _manylinux(arch), "Linux", arch)
    for arch in ("x86_64", "aarch64")
    for py in PYTHONS
)


# --- pip --------------------------------------------------------------------------------------


def pip(*args: str, isolated: bool) -> subprocess.CompletedProcess:
    """Run pip; ``isolated`` keeps this machine's pip configuration (indexes, find-links) out."""
    env = dict(os.environ)
    if isolated:
        env["PIP_CONFIG_FILE"] = os.devnull
        for name in ("PIP_FIND_LINKS", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_CONSTRAINT"):
            env.pop(name, None)
    command = [sys.executable, "-m", "pip", *args, "--disable-pip-version-check", "--no-input"]
    return subprocess.run(command, capture_output=True, text=True, env=env)


def _pip_failure(done: subprocess.CompletedProcess, target: Target, what: str) -> BuildError:
    found = re.findall(
        r"(?:No matching distribution found for|satisfies the requirement) (\S+)", done.stderr
    )
    name = found[-1] if found else "（见下方 pip 输出 / see pip's output below）"
    errors = [line for line in done.stderr.splitlines() if line.startswith("ERROR")]
    return BuildError(
        f"{target.title}：{name} 没有可用的 wheel 安装包，不能生成离线安装包（办公电脑上不能从源代码编译）。\n"
        f"No wheel of {name} for {target.title} ({what}).\n"
        + "\n".join(errors or done.stderr.splitlines()[-15:])
    )


def download(
    requirements: list[str], target: Target, wheels: Path, cache: Path, refresh: bool
) -> None:
    """Put the wheels of requirements (and their dependencies) for target into wheels/."""
    args = ["download", "--dest", str(wheels), *target.pip_options(), *requirements]
    if not refresh:
        cached = pip(*args, "--no-index", "--find-links", str(cache), isolated=True)
        if cached.returncode == 0:
            return
    done = pip(*args, isolated=False)
    if done.returncode != 0:
        raise _pip_failure(done, target, "pip download")
    for wheel in wheels.glob("*.whl"):
        if not wheel.name.startswith("duban-") and not (cache / wheel.name).exists():
            partial = cache / f".{wheel.name}.{os.getpid()}"
            shutil.copyfile(wheel, partial)
            os.replace(partial, cache / wheel.name)


def resolve(requirements: list[str], target: Target, wheels: Path) -> list[dict]:
    """Return pip's install report for target from wheels/ alone (no index, nothing installed)."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        done = pip(
            "install", "--dry-run", "--ignore-installed", "--no-index", "--find-links", str(wheels),
            "--target", str(Path(tmp) / "target"), "--report", str(report),
            *target.pip_options(), *requirements, isolated=True,
        )  # fmt: skip
        if done.returncode != 0:
            raise _pip_failure(done, target, "pip install --dry-run --no-index")
        return json.loads(report.read_text(encoding="utf-8"))["install"]


def left_out(installs: list[dict], target: Target) -> list[Requirement]:
    """Return the requirements whose marker holds on target but whose package pip did not choose."""
    chosen = {canonicalize_name(item["metadata"]["name"]) for item in installs}
    environment = target.environment()
    missing: dict[str, Requirement] = {}
    for item in installs:
        extras = ("", *item.get("requested_extras", ()))
        for text in item["metadata"].get("requires_dist", ()):
            requirement = Requirement(text)
            marker = requirement.marker
            if marker and not any(marker.evaluate({**environment, "extra": e}) for e in extras):
                continue
            if canonicalize_name(requirement.name) not in chosen:
                requirement.marker = None
                missing.setdefault(str(requirement), requirement)
    return list(missing.values())


def wheels_for(
    target: Target, duban: Path, wheels: Path, cache: Path, refresh: bool, added: list[str]
) -> list[dict]:
    """Download everything target needs into wheels/; return pip's offline install report.

    ``added`` holds the requirements pip left out for an earlier target of the same system (a
    first guess, which saves a round); what this target adds is appended to it.
    """
    version = parse_wheel_filename(duban.name)[1]
    while True:
        download([str(duban), "pip", *added], target, wheels, cache, refresh)
        installs = resolve([f"duban=={version}", "pip", *added], target, wheels)
        missing = [str(r) for r in left_out(installs, target) if str(r) not in added]
        if not missing:
            return installs
        print(f"  {target.title}: pip 按本机的环境标记漏掉了 {', '.join(missing)}，已补上")
        added += missing


# --- the bundle -------------------------------------------------------------------------------


def build_duban_wheel(out: Path) -> Path:
    """Build duban's wheel from a clean copy of the source (a stale build/ never leaks in)."""
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "source"
        skip = (
            ".git",
            ".venv",
            "build",
            "dist",
            "demo",
            "*.egg-info",
            "__pycache__",
            ".*_cache",
            ".hypothesis",
        )
        shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*skip))
        done = pip("wheel", "--no-deps", "--wheel-dir", str(out), str(source), isolated=False)
        if done.returncode != 0:
            raise BuildError(
                "duban 自身的 wheel 生成失败 / building duban's wheel failed:\n" + done.stderr
            )
    return next(out.glob("duban-*.whl"))


def newest_glibc(names: list[str]) -> str:
    """Return the newest glibc any chosen Linux wheel needs, as "2.28"."""
    needed: list[tuple[int, ...]] = [(2, 17)]
    for name in names:
        tags = parse_wheel_filename(name)[3]
        oldest = [
            (2, 17)
            if t.platform.startswith("manylinux2014")
            else tuple(map(int, t.platform.split("_")[1:3]))
            for t in tags
            if t.platform.startswith("manylinux")
        ]
        if oldest:
            needed.append(min(oldest))
    major, minor = max(needed)
    return f"{major}.{minor}"


def write_assets(bundle: Path, version: str, glibc: str) -> None:
    """Copy the installers and docs from scripts/offline/, placeholders filled, line ends set."""
    targets = "\n".join(f"                    - {t.title}" for t in TARGETS)
    fill = {"@VERSION@": version, "@TARGETS@": targets, "@GLIBC@": glibc}
    for name, newline in ASSET_FILES.items():
        text = (ASSETS / name).read_text(encoding="utf-8")
        for key, value in fill.items():
            text = text.replace(key, value)
        left = re.findall(r"@[A-Z]+@", text)
        if left:
            raise BuildError(f"{name} 中有未替换的占位符 {left} / unfilled placeholders")
        dest = bundle / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(newline.join(text.splitlines()).encode("utf-8") + newline.encode())
    (bundle / "install.sh").chmod(0o755)


def write_sha256sums(bundle: Path) -> None:
    """Write SHA256SUMS (the format of `sha256sum -c`) for every other file of the bundle."""
    lines = []
    for path in sorted(p for p in bundle.rglob("*") if p.is_file() and p.name != "SHA256SUMS"):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        lines.append(f"{digest}  {path.relative_to(bundle).as_posix()}\n")
    (bundle / "SHA256SUMS").write_text("".join(lines), encoding="utf-8", newline="\n")


def write_zip(bundle: Path, dest: Path) -> None:
    """Zip the bundle folder (wheels stored as they are: they are compressed already)."""
    partial = dest.with_name(f".{dest.name}.partial")
    with zipfile.ZipFile(partial, "w") as zf:
        for path in sorted(p for p in bundle.rglob("*") if p.is_file()):
            method = zipfile.ZIP_STORED if path.suffix == ".whl" else zipfile.ZIP_DEFLATED
            zf.write(path, f"{bundle.name}/{path.relative_to(bundle).as_posix()}", method)
    os.replace(partial, dest)


def build(dest: Path, cache: Path, *, refresh: bool = False, make_zip: bool = True) -> Path:
    """Build dest/duban-<version>-offline/ (and its .zip); return the folder."""
    version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "version"
    ]
    name = f"duban-{version}-offline"
    dest.mkdir(parents=True, exist_ok=True)
    cache.mkdir(parents=True, exist_ok=True)
    staging = dest / f".{name}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    wheels = staging / "wheels"
    wheels.mkdir(parents=True)
    chosen: set[str] = set()
    added: dict[str, list[str]] = {}  # system -> requirements pip left out for it
    with tempfile.TemporaryDirectory() as tmp:
        print(f"生成 duban {version} 的 wheel …")
        duban = build_duban_wheel(Path(tmp))
        for target in TARGETS:
            print(f"收集 {target.title} 的依赖 …")
            installs = wheels_for(
                target, duban, wheels, cache, refresh, added.setdefault(target.system, [])
            )
            chosen |= {
                Path(unquote(urlparse(i["download_info"]["url"]).path)).name for i in installs
            }
            print(
                f"  {len(installs)} 个包，可不联网从安装包装好 / resolves offline from the bundle"
            )
    for wheel in wheels.iterdir():
        if wheel.name not in chosen:  # downloaded for this machine's markers, needed by no target
            wheel.unlink()
    glibc = newest_glibc(sorted(n for n in chosen if "manylinux" in n))
    write_assets(staging, version, glibc)
    write_sha256sums(staging)
    bundle = dest / name
    shutil.rmtree(bundle, ignore_errors=True)
    os.replace(staging, bundle)
    if make_zip:
        write_zip(bundle, dest / f"{name}.zip")
    return bundle


def _size_mb(path: Path) -> float:
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files) / 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--dest", type=Path, default=ROOT / "dist", help="output folder (default dist/)"
    )
    parser.add_argument(
        "--cache", type=Path, default=Path(os.environ.get("DUBAN_WHEEL_CACHE", DEFAULT_CACHE))
    )
    parser.add_argument(
        "--refresh", action="store_true", help="ask the index even when the cache would do"
    )
    parser.add_argument("--no-zip", dest="make_zip", action="store_false", help="skip the .zip")
    args = parser.parse_args(argv)
    try:
        bundle = build(
            args.dest.resolve(), args.cache, refresh=args.refresh, make_zip=args.make_zip
        )
    except BuildError as e:
        print(f"离线安装包生成失败 / offline bundle failed:\n{e}", file=sys.stderr)
        return 1
    print(f"离线安装包：{bundle}（{_size_mb(bundle):.0f} MB）")
    archive = bundle.with_name(bundle.name + ".zip")
    if args.make_zip:
        print(f"压缩包：{archive}（{_size_mb(archive):.0f} MB）")
    return 0


if __name__ == "__main__":
    sys.exit(main())
