"""``python -m vaxsim`` is the ``vaxsim`` command."""

from vaxsim.entry import main

main()
