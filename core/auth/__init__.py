"""Identity: platform-wide accounts with argon2id passwords, server-side web sessions, API tokens for
integrators, and sign-in throttling. Services only; HTTP lives in :mod:`core.web.auth`."""
