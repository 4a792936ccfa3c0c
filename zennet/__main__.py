import sys

from zennet.cli import main

sys.exit(main())
