"""``python -m radex.cli``."""

from radex.cli import main

main()
