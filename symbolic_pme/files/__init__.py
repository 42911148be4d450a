"""Model files: TOML descriptions of transport models, read safely (``docs/model-files.md``)."""

from symbolic_pme.files.model_file import ModelFile, ModelValue, load_model

__all__ = ["ModelFile", "ModelValue", "load_model"]
