"""Podman as these machines allow it: runc (crun fails here), cgroupfs, no default ulimits, host network; a
stand-in for python:3.11-slim made with debootstrap (no container registry is reachable); pip inside a build
pointed at the host's CA bundle and find-links folder (where the CPU build of torch lies)."""

from __future__ import annotations

import configparser
import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "descent-tests"
CONTAINERS_CONF = '[containers]\ndefault_ulimits = []\n\n[engine]\ncgroup_manager = "cgroupfs"\n'
BASE_RECIPE = {"suite": "bookworm", "variant": "minbase",
               "include": ["python3", "python3-venv", "python3-pip", "ca-certificates"]}


def available() -> str | None:
    """Why the image cannot be built here, or None."""
    missing = [tool for tool in ("podman", "runc", "debootstrap") if shutil.which(tool) is None]
    return f"{', '.join(missing)} not installed; `make test` installs Debian's podman, runc and debootstrap" \
        if missing else None


def podman(*args: str, timeout: float = 600, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
    CACHE.mkdir(parents=True, exist_ok=True)
    conf = CACHE / "containers.conf"
    if not conf.exists() or conf.read_text() != CONTAINERS_CONF:
        conf.write_text(CONTAINERS_CONF)
    env = {**os.environ, "CONTAINERS_CONF": str(conf)}
    command = ["podman", *args]
    if args[0] in ("build", "run"):  # the runtime is chosen per container
        command[2:2] = ["--runtime", shutil.which("runc"), "--network", "host"]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout, **kwargs)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout[-3000:]}"
                           f"{result.stderr[-3000:]}")
    return result


def debian_mirror() -> str:
    """The mirror apt uses here (deb822 sources, or the one-line format)."""
    for sources in sorted(Path("/etc/apt/sources.list.d").glob("*.sources")):
        for line in sources.read_text().splitlines():
            if line.startswith("URIs:") and "security" not in line:
                return line.split()[1]
    for line in Path("/etc/apt/sources.list").read_text().splitlines() if Path("/etc/apt/sources.list").exists() \
            else []:
        if line.startswith("deb ") and "security" not in line:
            return line.split()[1]
    return "http://deb.debian.org/debian"


def base_image() -> str:
    """A Debian bookworm with Python 3.11, made once and kept in podman's store under a tag that names its recipe."""
    recipe = {**BASE_RECIPE, "mirror": debian_mirror()}
    tag = "localhost/descent-test-base:" + hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:12]
    if podman("image", "exists", tag, check=False).returncode == 0:
        return tag
    with tempfile.TemporaryDirectory(prefix="descent-rootfs-") as root:
        subprocess.run(["debootstrap", f"--variant={recipe['variant']}", f"--include={','.join(recipe['include'])}",
                        recipe["suite"], root, recipe["mirror"]], check=True, capture_output=True, timeout=900)
        shutil.rmtree(Path(root) / "var/cache/apt/archives", ignore_errors=True)  # the .debs just installed
        tar = subprocess.Popen(["tar", "-C", root, "-c", "."], stdout=subprocess.PIPE)
        podman("import", "-", tag, stdin=tar.stdout)
        tar.wait()
    return tag


def pip_settings() -> tuple[dict[str, str], list[Path]]:
    """The host pip's CA bundle and find-links folders, as a pip.conf for the build and the paths to mount."""
    listed = subprocess.run([sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True).stdout
    settings = {}
    for line in listed.splitlines():
        key, _, value = line.partition("=")
        name = key.rsplit(".", 1)[-1]
        if name in ("cert", "find-links"):
            settings[name] = value.strip("'\"")
    for name, variable in (("cert", "PIP_CERT"), ("find-links", "PIP_FIND_LINKS")):
        settings[name] = os.environ.get(variable, settings.get(name, ""))
    mounts = [Path(path) for name in ("cert", "find-links") for path in settings[name].split() if Path(path).exists()]
    return {name: value for name, value in settings.items() if value}, mounts


def build(context: Path, tag: str, base: str) -> None:
    settings, mounts = pip_settings()
    if not any(folder.is_dir() and any(folder.glob("torch-2.13.0+cpu-*.whl")) for folder in mounts):
        # from PyPI alone pip would take the CUDA build: gigabytes, and not what the image ships
        raise RuntimeError(f"no find-links folder with torch 2.13.0's CPU wheel in pip's settings ({settings})")
    CACHE.mkdir(parents=True, exist_ok=True)
    conf = configparser.ConfigParser()
    conf["global"] = settings
    pip_conf = CACHE / "pip.conf"
    with pip_conf.open("w") as file:
        conf.write(file)
    volumes = [f"--volume={path}:{path}:ro" for path in mounts] + [f"--volume={pip_conf}:/etc/pip.conf:ro"]
    # torch's own index is not reachable here; from PyPI's index the find-links folder's CPU build wins
    podman("build", "--format=docker", f"--tag={tag}", f"--build-arg=BASE_IMAGE={base}",
           "--build-arg=TORCH_INDEX_URL=https://pypi.org/simple", *volumes, str(context), timeout=1800)
