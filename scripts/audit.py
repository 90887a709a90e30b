"""Dependency audit against PyPI's vulnerability data, as far as this network allows.

pip-audit needs either osv.dev (unreachable from these machines) or PyPI's per-version JSON
(`/pypi/NAME/VERSION/json`, answered 404 by the registry proxy here). PyPI's per-project JSON
(`/pypi/NAME/json`) is reachable and carries the known vulnerabilities of the project's
*latest* release. So every installed distribution that is at its latest release is audited
exactly (fails on any known vulnerability); the others are listed as not auditable here, with
the version they lag behind. No registry at all: says so and exits 0 (nothing was checked, and
that is printed, not hidden).

    python scripts/audit.py [--json OUT.json]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import importlib.metadata
import json
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

INDEX = "https://pypi.org/pypi/{name}/json"


def installed() -> dict[str, str]:
    """Return {normalized name: version} of every distribution in this environment."""
    found: dict[str, str] = {}
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            found[name.lower().replace("_", "-")] = dist.version
    return found


def project(name: str) -> tuple[str, str | None, list[dict[str, Any]], str | None]:
    """Return (name, latest version, its known vulnerabilities, error) from PyPI."""
    try:
        with urllib.request.urlopen(INDEX.format(name=name), timeout=20) as reply:
            data = json.load(reply)
    except urllib.error.HTTPError as exc:
        return name, None, [], f"HTTP {exc.code}"
    except (OSError, ValueError) as exc:
        return name, None, [], str(exc)
    return name, data["info"]["version"], list(data.get("vulnerabilities") or []), None


def audit(dists: dict[str, str]) -> dict[str, Any]:
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(project, sorted(dists)))
    report: dict[str, Any] = {"audited": {}, "behind_latest": {}, "unknown": {}, "vulnerable": {}}
    for name, latest, vulns, error in answers:
        version = dists[name]
        if latest is None:
            report["unknown"][name] = {"version": version, "why": error}
        elif latest != version:
            report["behind_latest"][name] = {"version": version, "latest": latest}
        else:
            report["audited"][name] = version
            if vulns:
                report["vulnerable"][name] = {
                    "version": version,
                    "ids": [v.get("id") for v in vulns],
                    "fixed_in": sorted({f for v in vulns for f in v.get("fixed_in") or []}),
                }
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="write the whole report here")
    args = parser.parse_args(argv)
    dists = installed()
    report = audit(dists)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    if len(report["unknown"]) == len(dists):
        first = next(iter(report["unknown"].values()), {}).get("why")
        print(f"audit: PyPI unreachable ({first}); nothing audited")
        return 0
    print(
        f"audit: {len(dists)} distributions; {len(report['audited'])} at their latest release "
        f"audited against PyPI's vulnerability data; {len(report['behind_latest'])} behind "
        f"their latest release (not auditable here: per-version data unreachable); "
        f"{len(report['unknown'])} not on PyPI"
    )
    for name, info in sorted(report["behind_latest"].items()):
        print(f"  not audited: {name} {info['version']} (latest {info['latest']})")
    for name, info in sorted(report["vulnerable"].items()):
        fixed = ", ".join(info["fixed_in"]) or "no fixed release"
        print(f"VULNERABLE: {name} {info['version']}: {', '.join(info['ids'])} (fixed in {fixed})")
    return 1 if report["vulnerable"] else 0


if __name__ == "__main__":
    sys.exit(main())
