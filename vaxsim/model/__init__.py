"""The scenario compiled into tables and arrays that engines and the optimizer read."""

from vaxsim.model.model import Model, compile_model

__all__ = ["Model", "compile_model"]
