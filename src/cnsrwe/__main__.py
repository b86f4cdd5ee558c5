"""``python -m cnsrwe`` runs the command line."""

from cnsrwe.cli import main

main()
