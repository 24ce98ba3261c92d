"""`python -m inhouse` is the `inhouse` command."""

from inhouse.cli import main

main()
