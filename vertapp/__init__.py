"""VertApp: offline workstation for labelling and reviewing vertebrae in CT and X-ray."""

__version__ = "0.1.0"
