"""Verifica in due passaggi: TOTP codes from an authenticator app, with recovery codes;
required for the roles in TWO_FACTOR_REQUIRED_ROLES, available to everyone."""
