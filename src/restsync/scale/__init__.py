"""Scale-out: sync jobs on a distributed queue (procrastinate on the state's PostgreSQL) and
`restsync worker`. Needs the `scale` extra; nothing in the core, `kb` or the embedded server
imports this package."""
