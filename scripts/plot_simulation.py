"""Plot the acceptance rate by week of each policy from `sculptor-train simulate --json`.

    python scripts/plot_simulation.py [SIM.json] [--out docs/simulation-acceptance.png]
        [--copy docs/simulation.json]

The subtitle names the population the people were drawn from (`--population`), so one script
draws the default and the diverse run alike. Drawn with Qt's QPainter on an offscreen QImage
(PySide6 is already a dependency of the app; no matplotlib). `--copy` writes the figures the
plot was drawn from next to it, so the README's image and its numbers come from one run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# A script outside the app: it takes its Qt names straight from PySide6 (desktop.ui.qt does not
# re-export QImage, and this needs no widget).
from PySide6.QtCore import QPointF, QRectF, Qt  # noqa: E402
from PySide6.QtGui import (  # noqa: E402
    QColor,
    QFont,
    QFontMetrics,
    QGuiApplication,
    QImage,
    QPainter,
    QPen,
)

REPO = Path(__file__).resolve().parent.parent
POLICIES = (  # name in the JSON, legend label, colour
    ("learned", "learned (personalized)", "#1b7f5b"),
    ("pretrained", "pretrained model, not personalized", "#3a6fb0"),
    ("fixed_timer", "fixed 50/10 timer", "#c0502b"),
)
WIDTH, HEIGHT = 900, 520
MARGIN = {"left": 78, "right": 28, "top": 64, "bottom": 118}


def series(result: dict[str, Any]) -> dict[str, list[tuple[int, float, int]]]:
    """Return policy -> [(week, acceptance rate, shown)] from a simulate result."""
    out: dict[str, list[tuple[int, float, int]]] = {}
    for week in result["weeks"]:
        for name, figures in week["policies"].items():
            out.setdefault(name, []).append(
                (int(week["week"]), float(figures["acceptance_rate"]), int(figures["shown"]))
            )
    return out


def render(result: dict[str, Any]) -> QImage:
    """Return the chart of acceptance rate by week, one line per policy."""
    data = series(result)
    weeks = sorted({w for points in data.values() for w, _, _ in points})
    if not weeks:
        raise ValueError("the simulation result has no weeks")
    top = max(0.1, max(rate for points in data.values() for _, rate, _ in points))
    y_max = min(1.0, (int(top * 10) + 1) / 10.0)

    image = QImage(WIDTH, HEIGHT, QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    font = QFont()
    font.setPixelSize(14)
    painter.setFont(font)
    metrics = QFontMetrics(font)
    left, right = MARGIN["left"], WIDTH - MARGIN["right"]
    top_y, bottom = MARGIN["top"], HEIGHT - MARGIN["bottom"]

    def x_of(week: float) -> float:
        if len(weeks) == 1:
            return (left + right) / 2.0
        return left + 40 + (week - weeks[0]) / (weeks[-1] - weeks[0]) * (right - left - 80)

    def y_of(rate: float) -> float:
        return bottom - rate / y_max * (bottom - top_y)

    title = QFont(font)
    title.setPixelSize(18)
    title.setBold(True)
    painter.setFont(title)
    painter.setPen(QColor("#222222"))
    painter.drawText(
        QRectF(left, 10, right - left, 28),
        Qt.AlignmentFlag.AlignLeft,
        "Suggestions accepted, by simulated week",
    )
    painter.setFont(font)
    painter.setPen(QColor("#555555"))
    personas = result.get("users", len(result.get("personas", [])))
    population = result.get("population", "default")
    who = "simulated people" if population == "default" else f"simulated people ({population})"
    painter.drawText(
        QRectF(left, 36, right - left, 22),
        Qt.AlignmentFlag.AlignLeft,
        f"{personas} {who}, {len(weeks)} weeks, seed {result.get('seed', '?')}"
        f" (sculptor-train simulate --population {population})",
    )
    # Grid and the y axis: acceptance rate in percent.
    step = 0.1 if y_max <= 0.6 else 0.2
    tick = 0.0
    while tick <= y_max + 1e-9:
        y = y_of(tick)
        painter.setPen(QPen(QColor("#e3e3e3"), 1))
        painter.drawLine(QPointF(left, y), QPointF(right, y))
        painter.setPen(QColor("#555555"))
        label = f"{tick:.0%}"
        painter.drawText(
            QRectF(0, y - 10, left - 10, 20),
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
            label,
        )
        tick += step
    painter.setPen(QPen(QColor("#888888"), 1))
    painter.drawLine(QPointF(left, bottom), QPointF(right, bottom))
    painter.drawLine(QPointF(left, top_y), QPointF(left, bottom))
    painter.save()
    painter.translate(18, (top_y + bottom) / 2)
    painter.rotate(-90)
    painter.setPen(QColor("#555555"))
    painter.drawText(QRectF(-90, -10, 180, 20), Qt.AlignmentFlag.AlignCenter, "acceptance rate")
    painter.restore()
    for week in weeks:
        painter.drawText(
            QRectF(x_of(week) - 40, bottom + 6, 80, 20),
            Qt.AlignmentFlag.AlignCenter,
            f"week {week}",
        )
    # One line per policy, each point labelled with its rate.
    for name, _label, colour in POLICIES:
        points = data.get(name)
        if not points:
            continue
        pen = QPen(QColor(colour), 3)
        painter.setPen(pen)
        previous: QPointF | None = None
        for week, rate, _ in points:
            point = QPointF(x_of(week), y_of(rate))
            if previous is not None:
                painter.drawLine(previous, point)
            previous = point
        painter.setBrush(QColor(colour))
        for week, rate, _ in points:
            painter.drawEllipse(QPointF(x_of(week), y_of(rate)), 5, 5)
    # Rate labels right of each point, pushed apart where two policies are close.
    for week in weeks:
        placed: list[tuple[float, str, str]] = []  # (label top, text, colour), top to bottom
        rows = [
            (y_of(rate), f"{rate:.0%}", colour)
            for name, _, colour in POLICIES
            for w, rate, _ in data.get(name, [])
            if w == week
        ]
        for y, text, colour in sorted(rows):
            label_top = y - 22.0
            if placed and label_top < placed[-1][0] + 18.0:
                label_top = max(placed[-1][0] + 18.0, y + 6.0)  # below its point
            placed.append((label_top, text, colour))
        for label_top, text, colour in placed:
            painter.setPen(QColor(colour))
            painter.drawText(
                QRectF(x_of(week) + 8, label_top, metrics.horizontalAdvance(text) + 4, 18),
                Qt.AlignmentFlag.AlignLeft,
                text,
            )
    # The legend, under the axis.
    x, y = float(left), bottom + 40.0
    for name, label, colour in POLICIES:
        if name not in data:
            continue
        shown = sum(s for _, _, s in data[name])
        text = f"{label} ({shown} shown)"
        width = metrics.horizontalAdvance(text)
        if x + 30 + width > right:  # wrap to the next legend row
            x, y = float(left), y + 24
        painter.setPen(QPen(QColor(colour), 3))
        painter.drawLine(QPointF(x, y + 9), QPointF(x + 24, y + 9))
        painter.setPen(QColor("#222222"))
        painter.drawText(QRectF(x + 30, y, width + 4, 20), Qt.AlignmentFlag.AlignLeft, text)
        x += 30 + width + 28
    painter.end()
    return image


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("json", nargs="?", default=str(REPO / "docs" / "simulation.json"))
    parser.add_argument("--out", default=str(REPO / "docs" / "simulation-acceptance.png"))
    parser.add_argument("--copy", help="also write the figures the plot was drawn from here")
    args = parser.parse_args(argv)
    result = json.loads(Path(args.json).read_text(encoding="utf-8"))
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # fonts need one
    image = render(result)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if not image.save(str(out)):  # the format follows the suffix (.png)
        raise SystemExit(f"could not write {out}")
    print(f"wrote {out}")
    if args.copy and Path(args.copy).resolve() != Path(args.json).resolve():
        Path(args.copy).write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {args.copy}")
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
