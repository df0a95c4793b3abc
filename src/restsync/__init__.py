"""restsync: any REST API to a searchable knowledge base, by configuration alone."""
