"""Property-based fuzzing of the whole JSON API from its own OpenAPI spec (schemathesis):
no generated request, valid or not, may make the server fail (5xx).

Requests are made in-process (ASGI) as the agency owner with an API token, in a world with two
clients and their brand profiles, so that routes get past authentication and ids often exist.
Bounded and derandomized: the same examples every run.
"""

from __future__ import annotations

import respx
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

MAX_EXAMPLES = 25


def _fuzz(operation, mode: GenerationMode, headers: dict, own_token_id: int) -> list[str]:
    problems: list[str] = []

    @settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        if (case.path_parameters or {}).get("token_id") == own_token_id:
            case.path_parameters["token_id"] = own_token_id + 100_000  # keep our own token alive
        response = case.call(headers=headers)
        if response.status_code >= 500:
            problems.append(f"{case.method} {case.formatted_path} -> {response.status_code}\n  {case.as_curl_command()}\n"
                            f"  body: {case.body!r}\n  answer: {response.text[:300]}")
        case.validate_response(response, checks=[not_a_server_error])

    try:
        run()
    except Unsatisfiable:  # nothing to make invalid (e.g. negative data for a route without input)
        pass
    except Exception as exc:  # the check's failure: the details are in ``problems``
        if not problems:
            problems.append(f"{operation.label} ({mode.value}): {type(exc).__name__}: {exc}"[:1500])
    return problems


def test_no_generated_request_makes_the_server_fail(app, client, world):
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    owner = world["owner"]
    problems, count = [], 0
    with respx.mock(assert_all_called=False) as network:  # a fuzzed X channel must not reach api.x.com
        network.route(host="api.x.com").respond(401, json={"title": "Unauthorized", "status": 401})
        network.route(host="testserver").pass_through()
        for result in schema.get_all_operations():
            operation = result.ok()
            count += 1
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                problems += _fuzz(operation, mode, owner.headers, owner.token_id)[:1]
    assert count > 30
    assert not problems, "\n".join(problems)
    # The owner's token survived the fuzzing, so every operation was exercised as the owner.
    assert client.get("/api/auth/me", headers=owner.headers).status_code == 200
