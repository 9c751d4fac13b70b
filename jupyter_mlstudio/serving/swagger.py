"""The endpoint's OpenAPI document (swagger 2.0, as Azure ML serves at ``swagger.json``).

Built from a decorated ``run``'s parameter types, or from a sample input; without either it
still describes ``/score`` with a free-form JSON body.
"""

from __future__ import annotations

from typing import Any

from jupyter_mlstudio.serving.schema import ParameterType

__all__ = ["swagger_document"]


def swagger_document(
    title: str,
    *,
    inputs: dict[str, ParameterType] | None = None,
    output: ParameterType | None = None,
    sample_input: Any = None,
    auth_enabled: bool = True,
) -> dict[str, Any]:
    """The endpoint's swagger 2.0 document: ``GET /`` (health) and ``POST /score``.

    Parameters
    ----------
    title : str
        The document's title (the endpoint's name).
    inputs : dict of str to ParameterType, optional
        A decorated ``run``'s input parameters; the body is described as an object of them.
    output : ParameterType, optional
        A decorated ``run``'s output; without it the answer is described as any JSON.
    sample_input : Any, optional
        A sample body, used when there are no ``inputs``; without either the body is any
        JSON.
    auth_enabled : bool
        Whether ``/score`` needs ``Authorization: Bearer <key>`` (declared as security).

    Returns
    -------
    dict
        The document, ready for ``json.dumps``.
    """
    if inputs is not None:
        example = {name: p.sample_json() for name, p in inputs.items()}
        input_schema: dict[str, Any] = {
            "type": "object",
            "properties": {name: json_schema(p.sample_json()) for name, p in inputs.items()},
            "required": list(inputs),
            "example": example,
        }
    elif sample_input is not None:
        input_schema = {**json_schema(sample_input), "example": sample_input}
    else:
        input_schema = {"type": "object", "description": "Any JSON; passed to run() as text."}
    output_schema: dict[str, Any] = (
        {**json_schema(output.sample_json()), "example": output.sample_json()}
        if output is not None
        else {"description": "What run() returns, as JSON."}
    )
    error = {
        "type": "object",
        "properties": {
            "error": {
                "type": "object",
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
            }
        },
    }
    score: dict[str, Any] = {
        "operationId": "RunMLService",
        "description": "Run the scoring script's run() on the request body.",
        "consumes": ["application/json"],
        "produces": ["application/json"],
        "parameters": [
            {
                "name": "serviceInputPayload",
                "in": "body",
                "required": True,
                "schema": {"$ref": "#/definitions/ServiceInput"},
            }
        ],
        "responses": {
            "200": {"description": "Success", "schema": {"$ref": "#/definitions/ServiceOutput"}},
            "400": {"description": "Malformed or unusable input", "schema": error},
            "401": {"description": "Missing or wrong key", "schema": error},
            "413": {"description": "Body over the size limit", "schema": error},
            "422": {"description": "Input does not fit the schema", "schema": error},
            "500": {"description": "run() raised", "schema": error},
        },
    }
    doc: dict[str, Any] = {
        "swagger": "2.0",
        "info": {"title": title, "description": "jupyter_mlstudio endpoint", "version": "1.0"},
        "schemes": ["http"],
        "consumes": ["application/json"],
        "produces": ["application/json"],
        "paths": {
            "/": {
                "get": {
                    "operationId": "ServiceHealthCheck",
                    "description": "Health of the endpoint",
                    "responses": {"200": {"description": "Healthy"}},
                }
            },
            "/score": {"post": score},
        },
        "definitions": {"ServiceInput": input_schema, "ServiceOutput": output_schema},
    }
    if auth_enabled:
        doc["securityDefinitions"] = {
            "Bearer": {
                "type": "apiKey",
                "name": "Authorization",
                "in": "header",
                "description": "'Bearer <key>', a key from get_keys()",
            }
        }
        score["security"] = [{"Bearer": []}]
    return doc


def json_schema(sample: Any) -> dict[str, Any]:
    """A JSON schema that the sample satisfies (lists by their first item)."""
    if isinstance(sample, bool):
        return {"type": "boolean"}
    if isinstance(sample, int):
        return {"type": "integer", "format": "int64"}
    if isinstance(sample, float):
        return {"type": "number", "format": "double"}
    if isinstance(sample, str):
        return {"type": "string"}
    if isinstance(sample, list):
        items = json_schema(sample[0]) if sample else {}
        return {"type": "array", "items": items}
    if isinstance(sample, dict):
        return {
            "type": "object",
            "properties": {k: json_schema(v) for k, v in sample.items()},
            "required": list(sample),
        }
    return {}
