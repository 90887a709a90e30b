"""``python -m desktop.collect.wayland``: print what the Wayland collector sees."""

import sys

from desktop.collect.wayland import detect

sys.exit(detect.main())
