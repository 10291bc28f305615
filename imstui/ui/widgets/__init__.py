"""Console widgets (the jobs panel widgets live in ``jobs_*.py``)."""
