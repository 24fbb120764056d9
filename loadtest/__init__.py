"""Load testing from this machine: the k6 script's scenarios, run by a small async client (see __main__)."""
