"""Where a device's local data comes from (no TensorFlow here: the CLI parses these)."""

from __future__ import annotations

from dataclasses import dataclass

DATA_KINDS = ("persona", "store", "csv", "activitywatch")
DATA_HELP = (
    "persona:INDEX (a synthetic person), store:PATH (an app store, read only), csv:PATH or "
    "activitywatch:PATH (an exported history)"
)


@dataclass(frozen=True)
class DataSource:
    """Where one client's local data lives: `kind:value`, e.g. `persona:3` or `store:/p/db`."""

    kind: str
    value: str

    @classmethod
    def parse(cls, spec: str) -> DataSource:
        """Return the source named by `kind:value`; raise ValueError naming the spec if bad."""
        kind, sep, value = spec.partition(":")
        if not sep or kind not in DATA_KINDS or not value:
            raise ValueError(f"data source {spec!r}: expected {DATA_HELP}")
        if kind == "persona" and not value.isdigit():
            raise ValueError(f"data source {spec!r}: a persona is a non-negative index")
        return cls(kind, value)

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"
