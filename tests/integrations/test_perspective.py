"""Perspective's AnalyzeComment, as Coral's toxic comment filter and other Perspective clients call
it: `POST {endpoint}/comments:analyze?key=...`, scores from our classifier, Google's error body."""

from __future__ import annotations

import httpx
import pytest

from integration_helpers import HAM_TEXT, SPAM_TEXT, TOXIC_TEXT, checks, comments
from service.integrations.perspective import MAX_TEXT_BYTES, Refused, read_request
from service.classifier.scoring import ScorerHolder

ANALYZE = "/v1alpha1/comments:analyze"


def analyze(client, key, **body):
    return client.post(f"{ANALYZE}?key={key}", json=body)


def toxicity_request(text: str, **extra) -> dict:
    return {"comment": {"text": text}, "requestedAttributes": {"TOXICITY": {}}, **extra}


def test_coral_toxic_filter_request_gets_our_abuse_score(integration_app, api_key, live_url,
                                                         scorer):
    # What Coral sends with its endpoint setting pointed here: the endpoint plus
    # "/comments:analyze", the key as a query parameter, and this body.
    endpoint = f"{live_url}/v1alpha1"
    scores = {}
    for text in (TOXIC_TEXT, HAM_TEXT):
        response = httpx.post(f"{endpoint}/comments:analyze", params={"key": api_key}, json={
            "comment": {"text": text}, "doNotStore": True,
            "requestedAttributes": {"TOXICITY": {}}, "languages": ["en"]})
        assert response.status_code == 200
        body = response.json()
        scores[text] = body["attributeScores"]["TOXICITY"]["summaryScore"]["value"]
        assert body["attributeScores"]["TOXICITY"]["summaryScore"]["type"] == "PROBABILITY"
        assert body["languages"] == ["en"]
    hold = scorer.thresholds["abuse"]["hold"]  # Coral's threshold plays this part
    assert scores[TOXIC_TEXT] > hold > scores[HAM_TEXT]
    assert scores[TOXIC_TEXT] == pytest.approx(scorer.score(TOXIC_TEXT)["abuse"])


def test_spam_is_the_spam_score_and_both_can_be_asked_at_once(integration_app, api_key, scorer):
    body = analyze(integration_app.test_client(), api_key, comment={"text": SPAM_TEXT},
                   requestedAttributes={"SPAM": {}, "TOXICITY": {}}).get_json()
    expected = scorer.score(SPAM_TEXT)
    assert body["attributeScores"]["SPAM"]["summaryScore"]["value"] \
        == pytest.approx(expected["spam"])
    assert body["attributeScores"]["TOXICITY"]["summaryScore"]["value"] \
        == pytest.approx(expected["abuse"])


def test_a_score_under_the_callers_threshold_is_left_out_and_the_token_echoed(integration_app,
                                                                              api_key):
    body = analyze(integration_app.test_client(), api_key, comment={"text": HAM_TEXT},
                   requestedAttributes={"TOXICITY": {"scoreThreshold": 0.99}},
                   clientToken="comment:42").get_json()
    assert body["attributeScores"] == {}
    assert body["clientToken"] == "comment:42"


def test_span_annotations_score_the_whole_text(integration_app, api_key):
    body = analyze(integration_app.test_client(), api_key,
                   **toxicity_request(TOXIC_TEXT, spanAnnotations=True)).get_json()
    toxicity = body["attributeScores"]["TOXICITY"]
    assert toxicity["spanScores"] == [{"begin": 0, "end": len(TOXIC_TEXT),
                                       "score": toxicity["summaryScore"]}]


def test_nothing_of_the_request_is_kept(integration_app, api_key):
    analyze(integration_app.test_client(), api_key, **toxicity_request(TOXIC_TEXT,
                                                                       doNotStore=False))
    assert checks(integration_app) == [] and comments(integration_app) == []


def test_keys_are_checked_as_google_answers_them(integration_app, api_key):
    client = integration_app.test_client()

    missing = client.post(ANALYZE, json=toxicity_request(HAM_TEXT))
    assert missing.status_code == 403
    assert missing.get_json()["error"]["status"] == "PERMISSION_DENIED"

    wrong = analyze(client, "0123456789ab", **toxicity_request(HAM_TEXT))
    assert wrong.status_code == 400
    assert wrong.get_json()["error"] == {
        "code": 400, "message": "API key not valid. Please pass a valid API key.",
        "status": "INVALID_ARGUMENT"}

    in_header = client.post(ANALYZE, json=toxicity_request(HAM_TEXT),
                            headers={"X-Goog-Api-Key": api_key})
    assert in_header.status_code == 200

    # A malformed key is refused wherever it is sent, even beside a good one (the description
    # states the key's form for both places).
    malformed = client.post(f"{ANALYZE}?key={api_key}", json=toxicity_request(HAM_TEXT),
                            headers={"X-Goog-Api-Key": "/"})
    assert malformed.status_code == 400
    assert malformed.get_json()["error"]["status"] == "INVALID_ARGUMENT"
    # An empty key is a malformed key too, not a missing one.
    empty = client.post(f"{ANALYZE}?key={api_key}", json=toxicity_request(HAM_TEXT),
                        headers={"X-Goog-Api-Key": ""})
    assert empty.status_code == 400


def test_what_the_service_cannot_score_is_refused_not_guessed(integration_app, api_key):
    client = integration_app.test_client()
    german = analyze(client, api_key, **toxicity_request("Das ist Unsinn", languages=["de"]))
    assert german.status_code == 400
    assert german.get_json()["error"]["message"] \
        == "Attribute TOXICITY does not support request languages: de"
    threat = analyze(client, api_key, comment={"text": HAM_TEXT},
                     requestedAttributes={"THREAT": {}})
    assert threat.status_code == 400
    assert "THREAT is not supported" in threat.get_json()["error"]["message"]


def test_without_a_classifier_the_caller_is_told_to_come_back(integration_app, api_key):
    # Coral logs a failed call and lets the comment through its other phases.
    integration_app.extensions["scorer"] = ScorerHolder(error="artifact missing")
    response = analyze(integration_app.test_client(), api_key, **toxicity_request(HAM_TEXT))
    assert response.status_code == 503
    assert response.get_json()["error"]["status"] == "UNAVAILABLE"


def test_the_endpoint_can_be_turned_off(make_app, api_key):
    app = make_app(MODERATION_PERSPECTIVE_API="false")
    assert app.test_client().post(ANALYZE, json=toxicity_request(HAM_TEXT)).status_code == 404


@pytest.mark.parametrize("body, message", [
    ([], "JSON object"),
    ({"requestedAttributes": {"TOXICITY": {}}}, "comment.text"),
    ({"comment": {"text": 5}, "requestedAttributes": {"TOXICITY": {}}}, "comment.text"),
    ({"comment": {"text": "  "}, "requestedAttributes": {"TOXICITY": {}}}, "empty"),
    ({"comment": {"text": "x" * (MAX_TEXT_BYTES + 1)}, "requestedAttributes": {"TOXICITY": {}}},
     "too long"),
    ({"comment": {"text": "hi"}}, "requestedAttributes"),
    ({"comment": {"text": "hi"}, "requestedAttributes": {}}, "requestedAttributes"),
    ({"comment": {"text": "hi"}, "requestedAttributes": {"TOXICITY": []}}, "must be an object"),
    ({"comment": {"text": "hi"}, "requestedAttributes": {"TOXICITY": {"scoreType": "RAW"}}},
     "PROBABILITY"),
    ({"comment": {"text": "hi"}, "requestedAttributes": {"TOXICITY": {"scoreThreshold": 2}}},
     "from 0 to 1"),
    ({"comment": {"text": "hi"}, "requestedAttributes": {"TOXICITY": {}}, "languages": "en"},
     "list of language codes"),
    ({"comment": {"text": "hi"}, "requestedAttributes": {"TOXICITY": {}}, "clientToken": 7},
     "clientToken"),
    ({"comment": {"text": "\x1c\u3000"}, "requestedAttributes": {"TOXICITY": {}}}, "empty"),
    ({"comment": {"text": "hi"}, "requestedAttributes": {"TOXICITY": {}}, "spanAnnotations": 0},
     "spanAnnotations must be true or false"),
    ({"comment": {"text": "hi"}, "requestedAttributes": {"TOXICITY": {}}, "doNotStore": "yes"},
     "doNotStore must be true or false"),
])
def test_malformed_requests_are_refused_with_a_reason(body, message):
    with pytest.raises(Refused) as refused:
        read_request(body)
    assert refused.value.status == 400
    assert message in refused.value.message


def test_english_variants_and_defaults_are_accepted():
    asked = read_request({"comment": {"text": "hi"}, "languages": ["en-GB"],
                          "requestedAttributes": {"TOXICITY": None, "SPAM": {}}})
    assert asked.attributes == {"TOXICITY": None, "SPAM": None}
    assert asked.languages == ["en-GB"] and not asked.spans and asked.token is None
    # null is "left out", as in protobuf's JSON.
    nulls = read_request({"comment": {"text": "hi"}, "requestedAttributes": {
        "TOXICITY": {"scoreThreshold": None}}, "languages": None, "clientToken": None,
        "spanAnnotations": None, "doNotStore": None})
    assert nulls.attributes == {"TOXICITY": None} and nulls.languages == ["en"]
