"""edgekit-pi: classify camera frames or image files with an edgekit bundle on a Raspberry Pi."""

__version__ = "0.1.0"
