"""`python -m restsync` runs the CLI."""

import sys

from restsync.cli.main import main

sys.exit(main())
