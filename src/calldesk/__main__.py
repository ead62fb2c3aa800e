"""Lets `python -m calldesk` run the same entry point as the `calldesk` command."""

from calldesk.cli.main import main

raise SystemExit(main())
