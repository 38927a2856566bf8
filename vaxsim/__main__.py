"""``python -m vaxsim`` is the ``vaxsim`` command."""

from vaxsim.cli import main

main()
