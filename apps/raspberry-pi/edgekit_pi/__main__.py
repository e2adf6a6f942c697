import sys

from edgekit_pi.app import main

sys.exit(main())
