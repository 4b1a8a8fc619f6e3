"""Browser journeys; a package so that module names never clash with tests/ outside."""
