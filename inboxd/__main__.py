import sys

from inboxd.cli import main

sys.exit(main())
