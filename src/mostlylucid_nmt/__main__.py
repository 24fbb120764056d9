"""`python -m mostlylucid_nmt ...`: the command line, as the `mostlylucid-nmt` console script runs it."""

from mostlylucid_nmt.cli import main

if __name__ == "__main__":
    main()
