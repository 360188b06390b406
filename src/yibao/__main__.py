"""`python -m yibao`: the same command line as `yibao`."""

from yibao.entrypoints.cli.app import main

main()
