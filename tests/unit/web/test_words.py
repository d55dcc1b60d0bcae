"""The portal's plain words for record values and legal references."""

from __future__ import annotations

from gateway.web.household.words import person_party, references_text


def test_a_reference_already_in_the_article_is_not_said_twice() -> None:
    article = "AVG art. 6 lid 1 sub a; art. 9 lid 2 sub a"
    assert references_text(article, "AVG art. 6 lid 1 sub a") == article
    assert references_text(article, "Jeugdwet art. 7.3.8") == f"{article}; Jeugdwet art. 7.3.8"
    assert references_text(article, None) == article


def test_a_person_is_named_by_relation_never_by_pseudonym() -> None:
    assert person_party("self", 40) == ("party.you", {})
    assert person_party("child", 8) == ("party.your_child_age", {"age": 8})
    assert person_party("child", None) == ("party.your_child", {})
