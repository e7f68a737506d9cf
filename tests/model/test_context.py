"""The context tokens the site layer learns from beside the words: whether the author filled the
website field, its domain, and the domains the comment links to."""

from model.context import context_tokens


def test_a_news_source_and_a_spam_shop_are_different_tokens():
    source = context_tokens("As Reuters reported: https://www.reuters.com/world/ferry-1")
    shop = context_tokens("Cheap watches at https://cheap-watches.example.net/sale")
    assert source == ["_linkdomain_reuters_com"]
    assert shop == ["_linkdomain_cheap_watches_example_net"]


def test_an_empty_website_field_adds_nothing():
    assert context_tokens("I agree with the mayor.", "") == []
    assert context_tokens("I agree with the mayor.", "   ") == []
    assert context_tokens("I agree with the mayor.") == []


def test_a_filled_website_field_names_its_domain_as_typed_or_as_a_link():
    for typed in ("http://www.Cheap-Watches.example.net/", "cheap-watches.example.net",
                  "https://cheap-watches.example.net:8443/offer?ref=news"):
        assert context_tokens("I agree with the mayor.", typed) == [
            "_website_", "_webdomain_cheap_watches_example_net"]


def test_each_linked_domain_is_named_once_after_the_website():
    text = ("Deals at shop.example.com/a and shop.example.com/b, "
            "or see the council's page www.city.gov.uk/ferry")
    assert context_tokens(text, "shop.example.com") == [
        "_website_", "_webdomain_shop_example_com", "_linkdomain_shop_example_com",
        "_linkdomain_city_gov_uk"]
