"""Entry point of the frozen build (PyInstaller): the same `vertapp` command line.

Two things only a frozen app needs, done before anything heavy is imported:
`multiprocessing.freeze_support()` (training runs in a spawned child process, which
re-enters this executable), and the log file, since there may be no console to read.
"""

from __future__ import annotations

import logging
import multiprocessing
import sys


def main() -> int:
    multiprocessing.freeze_support()
    from vertapp import logs

    # cli.main's basicConfig stands down once the root logger has a handler: give the
    # console its usual one here, beside the file.
    console = logging.StreamHandler()
    console.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logging.getLogger().addHandler(console)
    if {"-v", "--verbose"} & set(sys.argv[1:]):
        logging.getLogger().setLevel(logging.DEBUG)
    try:
        logs.setup_file_logging()
    except OSError as err:  # an unwritable log folder must not stop the app
        print(f"vertapp: no log file ({err})", file=sys.stderr)
    from vertapp.cli import main as cli_main

    return cli_main()


if __name__ == "__main__":
    sys.exit(main())
