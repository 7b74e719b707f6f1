"""Schemathesis checks of the query API's own contract, loaded with SCHEMATHESIS_HOOKS: every
answer at or above 400 is a JSON object whose `error` is a machine-readable code."""

import re

import schemathesis

CODE = re.compile(r"^[a-z][a-z0-9_]*$")


@schemathesis.check
def errors_are_well_formed(ctx, response, case):
    if response.status_code < 400:
        return None
    try:
        body = response.json()
    except ValueError as exc:
        raise AssertionError(f"{response.status_code} answer is not JSON: {response.text[:200]!r}") from exc
    if not isinstance(body, dict):
        raise AssertionError(f"{response.status_code} answer is not a JSON object: {body!r}")
    code = body.get("error")
    if not isinstance(code, str) or not CODE.match(code):
        raise AssertionError(f"{response.status_code} answer has no machine-readable `error`: {body!r}")
    return None
