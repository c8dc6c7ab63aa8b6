import sys

from wikilake.cli import main

sys.exit(main())
