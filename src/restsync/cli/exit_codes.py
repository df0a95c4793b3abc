"""The exit statuses of every `restsync` command, in one place (scripts and CI read them)."""

EXIT_OK = 0  # complete
EXIT_FAILED = 1  # a source error, or a check that failed
EXIT_USAGE = 2  # bad config or usage
EXIT_TRUNCATED = 3  # stopped early: max_pages, a pagination loop
EXIT_INTERRUPTED = 130  # Ctrl-C, as shells report SIGINT
