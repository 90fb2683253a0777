"""`python -m vertapp` (also what `torchrun -m vertapp train ...` runs)."""

import sys

from vertapp.cli import main

if __name__ == "__main__":
    sys.exit(main())
