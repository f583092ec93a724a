"""Matchmaking between solution seekers and providers: the organisation registry built from the documents and
the IATI partner graph (`orgs`), and the partner and funding suggestions ranked for a need (`partners`)."""
