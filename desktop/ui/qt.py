"""The one place that imports PySide6: the rest of the UI takes Qt names from here."""

from PySide6.QtCore import QObject, QPoint, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QColor, QFont, QGuiApplication, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QSystemTrayIcon,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

__all__ = [
    "QAction",
    "QApplication",
    "QColor",
    "QFont",
    "QGuiApplication",
    "QHBoxLayout",
    "QIcon",
    "QLabel",
    "QMenu",
    "QObject",
    "QPainter",
    "QPixmap",
    "QPoint",
    "QPushButton",
    "QSystemTrayIcon",
    "QTimer",
    "QToolButton",
    "QVBoxLayout",
    "QWidget",
    "Qt",
    "Signal",
    "Slot",
]
