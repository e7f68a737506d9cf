"""Context tokens: what a comment says about where it leads, beyond its words.

``model.text.normalize`` turns every link into ``_url_`` so that the general model learns that a
link matters, not which one: a public corpus's domains would only teach it that corpus. A site's
own moderators are the opposite case. The spam they remove promotes a few domains again and
again, and its authors fill the comment form's website field (WordPress's ``url``) with the site
they promote, where readers almost never do. Those are things a site layer can learn from a few
dozen decisions, and they carry over from one article to the next where the words do not.

``context_tokens(text, website)`` names them as tokens the site layer hashes beside the words
(``model.site_layer.text_features``), the same function in training and in serving:

- ``_website_``: the website field is filled;
- ``_webdomain_example_com``: the website's host, lower case, without ``www.``;
- ``_linkdomain_example_com``: the host of each link in the text, found as ``normalize`` finds
  links (``model.text.link_hosts``).

Hosts are kept whole ("registrable-ish"): ``news.example.co.uk`` stays apart from
``example.co.uk``. Telling the registrable part would need the public suffix list, a download the
service may not make at run time; spammers' throwaway hosts differ in full anyway.
"""

from __future__ import annotations

import re

from model.text import link_hosts, url_host

WEBSITE = "_website_"
WEBDOMAIN = "_webdomain_"
LINKDOMAIN = "_linkdomain_"

# A host as one token: dots and hyphens become underscores (letters of any script stay).
_NOT_WORD_RE = re.compile(r"[\W_]+")


def _domain(prefix: str, host: str) -> str:
    return prefix + _NOT_WORD_RE.sub("_", host).strip("_")


def context_tokens(text: str, website: str = "") -> list[str]:
    """The context tokens of one comment: its raw ``text`` and its author's ``website`` field
    (``""`` or blank when left empty, which adds nothing). Each domain is named once: ten links to
    the same shop say no more about the comment than one."""
    tokens = []
    website = (website or "").strip()
    if website:
        tokens.append(WEBSITE)
        host = url_host(website)
        if host:
            tokens.append(_domain(WEBDOMAIN, host))
    tokens += dict.fromkeys(_domain(LINKDOMAIN, host) for host in link_hosts(text))
    return tokens
