"""Blueprint: Perspective's AnalyzeComment (`POST /v1alpha1/comments:analyze?key=...`), so tools
built on Google's Perspective API, which stops after 2026, keep working by changing only its
address. Coral's toxic comment filter is one: its settings take an API endpoint, a key and a
model (the attribute), and it reads `attributeScores[model].summaryScore.value`.

Scores come from the service's own classifier: `TOXICITY` is its abuse score, `SPAM` its spam
score; both are calibrated probabilities, which is what Perspective's PROBABILITY scores are.
Other attributes and languages other than English are refused the way Perspective refuses what
it does not support, so a caller sees the error instead of a made-up score. The text is scored
and forgotten: nothing of the request is stored, whatever `doNotStore` says.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from service.classifier import scoring
from service.integrations import apikeys
from service.intake.submission import clean_text

bp = Blueprint("perspective", __name__, url_prefix="/v1alpha1")

# Perspective's attribute -> our label.
ATTRIBUTES = {"TOXICITY": "abuse", "SPAM": "spam"}
LANGUAGES = {"en"}
# Perspective's own limit on a comment's text.
MAX_TEXT_BYTES = 20_480

# The statuses this blueprint answers with. (An unknown path or method under /v1alpha1 never
# reaches it: routing fails first, and the app's own error handler answers.)
_STATUS = {400: "INVALID_ARGUMENT", 403: "PERMISSION_DENIED", 413: "INVALID_ARGUMENT",
           503: "UNAVAILABLE"}


class Refused(Exception):
    """A request Perspective would refuse, with its HTTP status and message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def google_error(status: int, message: str) -> Response:
    """Google APIs' error body, which Perspective clients parse."""
    response = jsonify({"error": {"code": status, "message": message,
                                  "status": _STATUS.get(status, "UNKNOWN")}})
    response.status_code = status
    return response


@dataclass(frozen=True)
class Analyze:
    text: str
    attributes: dict[str, float | None]  # attribute -> the caller's scoreThreshold, if any
    spans: bool
    languages: list[str]
    token: str | None


def read_request(body: Any) -> Analyze:
    """What an AnalyzeComment request asks for, or Refused: a pure function of the decoded
    JSON body."""
    if not isinstance(body, dict):
        raise Refused(400, "The request body must be a JSON object.")
    comment = body.get("comment")
    if not isinstance(comment, dict) or not isinstance(comment.get("text"), str):
        raise Refused(400, "comment.text must be specified as a string.")
    text = comment["text"]
    if not text.strip():
        raise Refused(400, "Comment text was empty.")
    if len(text.encode("utf-8", "surrogatepass")) > MAX_TEXT_BYTES:
        raise Refused(400, f"Comment text too long: at most {MAX_TEXT_BYTES} bytes.")
    requested = body.get("requestedAttributes")
    if not isinstance(requested, dict) or not requested:
        raise Refused(400, "requestedAttributes must name at least one attribute.")
    attributes: dict[str, float | None] = {}
    for name, parameters in requested.items():
        if name not in ATTRIBUTES:
            raise Refused(400, f"Requested attribute {name} is not supported: this service "
                               f"scores {' and '.join(ATTRIBUTES)}.")
        parameters = parameters if parameters is not None else {}
        if not isinstance(parameters, dict):
            raise Refused(400, f"The parameters of {name} must be an object.")
        if parameters.get("scoreType", "PROBABILITY") != "PROBABILITY":
            raise Refused(400, f"Score type {parameters['scoreType']!r} is not supported: "
                               "scores are PROBABILITY.")
        threshold = parameters.get("scoreThreshold")
        if threshold is not None and (isinstance(threshold, bool)
                                      or not isinstance(threshold, (int, float))
                                      or not 0 <= threshold <= 1):
            raise Refused(400, f"scoreThreshold of {name} must be a number from 0 to 1.")
        attributes[name] = threshold
    languages = body.get("languages")
    if languages is not None:
        if not isinstance(languages, list) or not all(isinstance(x, str) for x in languages):
            raise Refused(400, "languages must be a list of language codes.")
        unsupported = [x for x in languages if x.split("-")[0].lower() not in LANGUAGES]
        if unsupported:
            raise Refused(400, f"Attribute {next(iter(attributes))} does not support request "
                               f"languages: {', '.join(unsupported)}")
    token = body.get("clientToken")
    if token is not None and not isinstance(token, str):
        raise Refused(400, "clientToken must be a string.")
    # Perspective's JSON is protobuf's: a flag is true, false or left out (null), never 0 or "".
    for flag in ("spanAnnotations", "doNotStore"):
        if body.get(flag) is not None and not isinstance(body[flag], bool):
            raise Refused(400, f"{flag} must be true or false.")
    return Analyze(text, attributes, body.get("spanAnnotations") is True, languages or ["en"],
                   token)


def analysis(text: str, scores: dict[str, float], attributes: dict[str, float | None],
             spans: bool) -> dict:
    """The attributeScores of the answer. An attribute whose score is under the threshold the
    caller set is left out, as Perspective leaves it out. The span, when asked for, is the whole
    text: the classifier scores a comment, not its sentences."""
    out = {}
    for name, threshold in attributes.items():
        value = scores[ATTRIBUTES[name]]
        if threshold is not None and value < threshold:
            continue
        score = {"value": value, "type": "PROBABILITY"}
        out[name] = {"summaryScore": score}
        if spans:
            out[name]["spanScores"] = [{"begin": 0, "end": len(text), "score": score}]
    return out


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> Response:
    return google_error(exc.code or 500, exc.description or exc.name)


@bp.post("/comments:analyze")
def analyze() -> Response:
    # A key sent empty is a malformed key, not a missing one.
    sent = [k for k in (request.args.get("key"), request.headers.get("X-Goog-Api-Key"))
            if k is not None]
    if not sent:
        return google_error(403, "The request is missing a valid API key.")
    # Every key sent must have a key's form (service/openapi.json states the same pattern): a
    # malformed header is not excused by a good query parameter.
    if not all(apikeys.KEY.search(k) for k in sent):
        return google_error(400, "API key not valid. Please pass a valid API key.")
    key = sent[0]
    if apikeys.active_key(current_app.extensions["store"].engine,
                          current_app.config["MODERATION_API_KEY_HASH_KEY"], key) is None:
        return google_error(400, "API key not valid. Please pass a valid API key.")
    try:
        asked = read_request(request.get_json(silent=True))
    except Refused as refused:
        return google_error(refused.status, refused.message)
    scored = scoring.current().score(clean_text(asked.text))
    if scored.scores is None:  # the classifier failed: the caller's own fallback applies
        return google_error(503, "The classifier is unavailable; try again later.")
    answer: dict = {"attributeScores": analysis(asked.text, scored.scores, asked.attributes,
                                                asked.spans),
                    "languages": asked.languages}
    if asked.token is not None:
        answer["clientToken"] = asked.token
    return jsonify(answer)
