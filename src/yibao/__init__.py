"""yibao: enrollment and contribution campaigns of the Urban and Rural Residents' Basic Medical Insurance."""

__version__ = "0.1.0"
