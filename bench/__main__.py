"""`python -m bench` from the project folder: what `make bench` runs."""

import sys

from bench.cli import main

sys.exit(main())
