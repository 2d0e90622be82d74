"""`orders cost`: what the deployed system costs by the month, from its definition, its template and a local run."""
