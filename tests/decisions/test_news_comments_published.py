"""Day one on a news site: the shipped model and the default settings publish what readers of a
news article ordinarily write, sharp criticism of officials and links to sources included, and
sentences that name a group of people are not held for naming it.

Written for this test, about the article the demo page serves (surveillance, policing and
immigration enforcement); none of them is in any training corpus."""

from __future__ import annotations

import pytest

CLEAN_NEWS_COMMENTS = [
    "Thoughtful piece on how fusion centers share data across agencies.",
    "The full STOP report is here: https://www.stopspying.org/fusion-centers and it is worth reading.",
    "The Senate report on fusion centers is at https://www.hsgac.senate.gov/wp-content/uploads/"
    "imo/media/doc/10-3-2012%20PSI%20STAFF%20REPORT%20re%20FUSION%20CENTERS.2.pdf, read it.",
    "The mayor promised an audit two years ago and we still have nothing. Where is it?",
    "Good reporting.",
    "This is a disgrace. The commissioner should resign over the way this contract was handled.",
    "I have lived here for thirty years and I have never seen the council this secretive.",
    "The police chief's answer to the question about retention periods was evasive at best.",
    "Reuters covered the same contract last spring: https://www.reuters.com/world/us/ "
    "the numbers there do not match the ones in this article.",
    "Who signs off on sharing licence plate data with federal agencies? Nobody seems to know.",
    "My cousin is a public defender and she says these reports are almost never disclosed.",
    "Thanks for including the budget figures. Eleven million dollars for cameras is a lot.",
    "Frankly, the governor's statement reads like it was written by the vendor's lawyers.",
    "I disagree with the editorial. Some data sharing is necessary after a serious crime.",
    "The article says 2019, but the memorandum of understanding was signed in 2017.",
    "Is there a way for residents to request the records the centre holds about them?",
    "How many of the alerts in the last year led to an arrest? That is the number that matters.",
    "The ACLU's explainer helped me understand this: https://www.aclu.org/issues/privacy-technology",
    "Council meetings are at 7pm on Tuesdays, anyone who cares about this should show up.",
    "Another promise broken by the same officials who told us the cameras were temporary.",
    "What a waste of public money. The schools in my district cannot afford textbooks.",
    "The sheriff has ignored three public records requests from this paper. Unacceptable.",
    "I work in IT for the county. Access logs exist, they just are not published.",
    "This deserves a follow-up on who audits the auditors.",
    "Well written, but the headline overstates what the documents actually show.",
    "The chief's claim that no data leaves the state is contradicted by the contract's "
    "own appendix, which lists two out-of-state partners.",
    "Honest question: does the new state privacy law apply to fusion centres at all?",
    "According to the AP (https://apnews.com/hub/surveillance) other cities paused similar programs.",
    "Shameful that it took a lawsuit to get these basic numbers out of City Hall.",
    "We need an independent oversight board, not another press release from the mayor's office.",
]
NAMING_A_GROUP = [
    "Undocumented immigrants are less likely to report crimes if police work with ICE.",
    "I am a gay man and I volunteer with the local legal aid clinic.",
    "Black and Hispanic neighborhoods get the most license plate readers.",
]


@pytest.fixture()
def site(make_app):
    """A fresh site with the shipped model and the settings a newsroom starts with."""
    return make_app(MODERATION_MIN_SUBMIT_SECONDS="0").test_client()


def post(client, text, n):
    response = client.post("/api/comments", json={
        "comment": text, "author": f"Reader {n}", "email": f"reader{n}@example.org",
        "comment_post_ID": "fusion-centers"}, environ_base={"REMOTE_ADDR": f"10.1.0.{n}"})
    return response.get_json()


def test_thirty_ordinary_news_comments_are_all_published(site):
    assert len(CLEAN_NEWS_COMMENTS) == 30
    answers = [post(site, text, n) for n, text in enumerate(CLEAN_NEWS_COMMENTS, 1)]
    held = [(text, a["status"], a.get("reasons")) for text, a in zip(CLEAN_NEWS_COMMENTS, answers)
            if a["status"] != "published"]
    assert held == []


@pytest.mark.parametrize("text", NAMING_A_GROUP)
def test_naming_a_group_is_not_abuse(site, text):
    answer = post(site, text, 99)
    assert answer["status"] == "published", answer
