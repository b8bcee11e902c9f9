"""The everyday scenario written with clients generated from the OpenAPI schema (README "Clients")."""
