"""Command-line front of ensembles: ``vaxsim sweep``, ``vaxsim compare``, ``vaxsim report``."""
