#!/usr/bin/env python
"""Django's command-line utility, with configuration errors told in one sentence."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from config.startup import explain_startup_error

    try:
        from django.core.management import execute_from_command_line

        execute_from_command_line(sys.argv)
    except Exception as error:
        message = explain_startup_error(error)
        if message is None:
            raise
        print(f"error: {message}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
