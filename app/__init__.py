"""chitieu: targets of resolutions and plans, their figures, and where they stand."""

__version__ = "0.1.0"
