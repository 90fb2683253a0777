"""Sub-commands of the `vertapp` CLI: each module has add_arguments() and run()."""
