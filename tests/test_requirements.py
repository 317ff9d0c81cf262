"""The shipped requirements.txt alone satisfies every import the sign-in path needs (#20.1).

Streamlit's ``st.login`` builds its OpenID Connect client with Authlib's Starlette
integration, which imports ``authlib.integrations.httpx_client`` and so needs ``httpx``.
Streamlit declares httpx only under its ``auth`` extra, so a deployment installed from
requirements.txt alone crashed on "Sign in" while the dev venv (where a test tool pulls
httpx in) worked. These tests tie the imports to the requirement file itself.
"""

import json
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]

# What Streamlit imports when a user presses "Sign in" (the Starlette auth routes) and
# when it validates the returned ID token (authlib.jose).
_SIGN_IN_IMPORTS = (
    "authlib.integrations.starlette_client",
    "authlib.integrations.httpx_client",
    "authlib.jose",
    "streamlit.web.server.starlette.starlette_auth_routes",
)

_PROBE = """
import json, sys, warnings
from importlib import metadata
warnings.simplefilter("ignore")
before = set(sys.modules)
for name in {imports!r}:
    __import__(name)
tops = {{m.split(".")[0] for m in set(sys.modules) - before}}
dists = metadata.packages_distributions()
print(json.dumps(sorted({{d for t in tops for d in dists.get(t, [])}})))
"""


# Imported only when present, inside ``try: ... except ImportError`` (httpx loads its
# command-line extra, which uses Pygments, if it can): not needed for sign-in.
_OPTIONAL = {"pygments"}


def _requirements(path: Path) -> list[Requirement]:
    reqs = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            reqs.append(Requirement(line))
    return reqs


def _closure(reqs: list[Requirement]) -> set[str]:
    """Every distribution pip installs for ``reqs`` (markers evaluated here, extras followed)."""
    seen: set[str] = set()
    todo = [(r, frozenset(r.extras)) for r in reqs]
    while todo:
        req, extras = todo.pop()
        name = canonicalize_name(req.name)
        key = name + "[" + ",".join(sorted(extras)) + "]"
        if key in seen:
            continue
        seen.add(key)
        seen.add(name)
        for dep_text in metadata.requires(req.name) or []:
            dep = Requirement(dep_text)
            envs = [{"extra": e} for e in extras] or [{"extra": ""}]
            if dep.marker is None or any(dep.marker.evaluate(env) for env in envs):
                todo.append((dep, frozenset(dep.extras)))
    return {s for s in seen if "[" not in s}


def test_requirements_pin_httpx_and_authlib():
    pinned = {canonicalize_name(r.name): str(r.specifier) for r in _requirements(ROOT / "requirements.txt")}
    assert pinned.get("authlib", "").startswith("==")
    assert pinned.get("httpx", "").startswith("==")
    # The pin is the version the tests run against.
    assert pinned["httpx"] == "==" + metadata.version("httpx")


def test_sign_in_imports_are_covered_by_requirements_alone():
    probe = _PROBE.format(imports=_SIGN_IN_IMPORTS)
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True, cwd=ROOT)
    needed = {canonicalize_name(d) for d in json.loads(out.stdout.strip().splitlines()[-1])}
    assert "httpx" in needed  # the probe really follows Authlib into its HTTP client
    covered = _closure(_requirements(ROOT / "requirements.txt"))
    assert needed - covered - _OPTIONAL == set()
