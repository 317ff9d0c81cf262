"""cxdash installs: pyproject.toml declares requirements.txt's dependencies, and a wheel built from the checkout,
installed into a fresh environment outside it, initialises a new database, reports on it and serves the app.

The wheel test reuses the runtime-only environment of the browser tests (``CXDASH_APP_PYTHON`` or ``.venv-app``,
built from requirements.txt) for the dependencies, so it installs only cxdash itself and stays fast; building the
wheel fetches setuptools for pip's isolated build.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from bench.browser import free_port, stop
from tests.support.browser import app_python

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _pins() -> dict[str, Requirement]:
    reqs = {}
    for raw in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            req = Requirement(line)
            reqs[canonicalize_name(req.name)] = req
    return reqs


def test_pyproject_declares_what_requirements_txt_pins() -> None:
    """The same distributions (with the same extras), and every pin of the deployment set within its range."""
    declared = {canonicalize_name(r.name): r for r in map(Requirement, PYPROJECT["project"]["dependencies"])}
    pins = _pins()
    assert set(declared) == set(pins)
    for name, pin in pins.items():
        (spec,) = pin.specifier
        assert spec.operator == "==" and declared[name].specifier.contains(spec.version), name
        assert declared[name].extras == pin.extras, name
    assert PYPROJECT["project"]["scripts"] == {"cxdash": "cxdash.cli:main"}


def test_the_packaged_links_name_the_one_copy() -> None:
    """The doc and the Streamlit config shipped in the package are links to the checkout's only copy."""
    for packaged, source in ((ROOT / "cxdash" / "docs" / "deployment.md", ROOT / "docs" / "deployment.md"),
                             (ROOT / "cxdash" / ".streamlit" / "config.toml", ROOT / ".streamlit" / "config.toml")):
        assert packaged.is_symlink() and packaged.resolve() == source.resolve()


def _site_packages(python: str) -> str:
    return subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()


def _run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float = 300) -> str:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    assert proc.returncode == 0, f"{cmd}: {proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    return proc.stdout


def _wait_answering(url: str, proc: subprocess.Popen, log: Path, timeout: float = 90) -> bytes:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return resp.read()
        except OSError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{url} did not answer: {log.read_text(errors='replace')[-3000:]}")


APP_RUNS = """
import sys
from pathlib import Path
import cxdash
from streamlit import config
from streamlit.testing.v1 import AppTest
app = Path(cxdash.__file__).parent / "app.py"
assert str(app).startswith(sys.prefix), app
config.set_option("server.address", "localhost")  # as `cxdash serve` does from the packaged config
at = AppTest.from_file(str(app), default_timeout=120)
at.run()
assert not at.exception, [e.value for e in at.exception]
assert not at.error, [e.value for e in at.error]
print(len(at.markdown), "markdown blocks;", at.title[0].value if at.title else "")
"""


@pytest.mark.slow
def test_the_wheel_installs_initialises_reports_and_serves(tmp_path: Path) -> None:
    # The sources only (a copy, so the build leaves nothing in the checkout); copying follows the links.
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "cxdash", src / "cxdash", ignore=shutil.ignore_patterns("__pycache__"))
    dist = tmp_path / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(dist), str(src)], tmp_path,
         dict(os.environ))
    (wheel,) = dist.glob("cxdash-*.whl")

    # A fresh environment outside the checkout; the runtime dependencies are requirements.txt's environment.
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    Path(_site_packages(python), "runtime-dependencies.pth").write_text(_site_packages(app_python()) + "\n")
    _run([sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-deps", "--no-index",
          "--find-links", str(dist), "cxdash"], tmp_path, dict(os.environ))

    work = tmp_path / "work"
    work.mkdir()
    url = f"sqlite:///{work / 'new.db'}"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "CXDASH_DATABASE_URL")}
    env["CXDASH_DATABASE_URL"] = url  # the app, served or under AppTest, reads it from the environment
    cxdash = str(venv / "bin" / "cxdash")
    where = _run([python, "-c", "import cxdash; print(cxdash.__file__)"], work, env)
    assert where.startswith(str(venv)) and not where.startswith(str(ROOT))
    assert "database ready" in _run([cxdash, "--database-url", url, "init"], work, env)
    report = _run([cxdash, "--database-url", url, "report", "overview"], work, env)
    assert report.strip(), "report overview printed nothing"
    # The installed entry script runs with its pages, catalogs and the deployment guide from the package.
    assert "markdown blocks" in _run([python, "-c", APP_RUNS], work, env)

    # Served from the installed package; no --server.address: the packaged config keeps it on localhost.
    port = free_port()
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([cxdash, "serve", "--server.port", str(port), "--server.headless", "true",
                                 "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
                                cwd=work, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            assert _wait_answering(f"http://localhost:{port}/_stcore/health", proc, log).strip() == b"ok"
            page = _wait_answering(f"http://localhost:{port}/", proc, log)
            assert b"<noscript>" in page or b"streamlit" in page.lower()
        finally:
            stop(proc)
    assert "REFUSED" not in log.read_text(errors="replace")
