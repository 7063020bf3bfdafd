"""Point-in-time recovery with Barman in streaming mode: its configuration, the scripts its containers run, the
reading of its JSON output, the setup plan, the monitor's findings, and the recovered copies of the database."""
