"""Why a lottery cannot be drawn, in the reader's language (issue 24): infeasible quotas and a
blocked replacement are explained by the criteria's and options' labels, in German and English,
with real plural forms and escaped parameters; no raw codes and no English in German."""
from __future__ import annotations

import pytest
from flask_babel import force_locale

from app.lottery.algorithm import Applicant, find_replacement, selection_probabilities
from app.lottery.errors import LotteryError
from app.lottery.explain import apply_labels, change_text, conflict_text
from tests.factories.lottery import lottery_page

LABELS = {"gender": ("Geschlecht", {"f": "weiblich", "m": "männlich"}),
          "age": ("Alter", {"young": "18 bis 29", "old": "ab 30"})}


def infeasible(people, quotas, seats) -> LotteryError:
    applicants = [Applicant(f"p{i}", answers) for i, answers in enumerate(people)]
    with pytest.raises(LotteryError) as caught:
        selection_probabilities(applicants, quotas, seats)
    assert caught.value.code == "infeasible"
    return caught.value


def rendered(app, error, language) -> str:
    with app.test_request_context(), force_locale(language):
        return str(error.message)


def test_too_few_applicants_for_a_minimum_in_german_and_english(app):
    error = apply_labels(infeasible([{"gender": "f"}] + [{"gender": "m"}] * 6,
                                    {"gender": {"f": (2, 4), "m": (0, 4)}}, 4), LABELS)
    german, english = rendered(app, error, "de"), rendered(app, error, "en")
    assert german.startswith("Mit diesen Bewerbungen lassen sich 4 Plätze nicht so besetzen")
    assert "Kriterium „Geschlecht“, Antwort „weiblich“: Das Minimum ist 2, es gibt aber nur 1 Bewerbung." in german
    assert "das Minimum von 2 auf 1 Platz senken" in german
    assert english.startswith("With these applicants no panel of 4 seats can meet all quotas.")
    assert "Criterion “Geschlecht”, option “weiblich”: the minimum is 2, but there is only 1 applicant." in english
    assert "lower the minimum from 2 to 1 seat" in english
    for text in (german, english):
        assert "gender" not in text and " f " not in text and "min 2" not in text


def test_plural_forms_follow_the_numbers(app):
    # No man applied, one seat is reserved for men, and the minimums add up to more than the seats.
    error = apply_labels(infeasible([{"gender": "f"}] * 5, {"gender": {"f": (2, 3), "m": (1, 3)}}, 2), LABELS)
    with app.test_request_context(), force_locale("de"):
        lines = [conflict_text(c) for c in error.details["conflicts"]]
        assert "Kriterium „Geschlecht“, Antwort „männlich“: Das Minimum ist 1, es gibt aber nur 0 Bewerbungen." in lines
        assert "Kriterium „Geschlecht“: Die Minima ergeben zusammen 3 Plätze, ausgelost werden aber nur 2." in lines
        assert str(error.message).count("Konflikte:") == 1
    with app.test_request_context(), force_locale("en"):
        lines = [conflict_text(c) for c in error.details["conflicts"]]
        assert "Criterion “Geschlecht”: the minimums add up to 3 seats, but only 2 are drawn." in lines
    one_seat = apply_labels(infeasible([{"gender": "m"}] * 3, {"gender": {"f": (1, 1), "m": (0, 1)}}, 1), LABELS)
    assert "lässt sich 1 Platz nicht so besetzen" in rendered(app, one_seat, "de")
    assert "no panel of 1 seat can" in rendered(app, one_seat, "en")


def test_a_conflict_between_criteria_names_both_by_label(app):
    # Every woman is young and every man old: "2 women" and "at most 1 young" conflict.
    error = apply_labels(infeasible([{"gender": "f", "age": "young"}] * 4 + [{"gender": "m", "age": "old"}] * 4,
                                    {"gender": {"f": (2, 3), "m": (1, 3)}, "age": {"young": (0, 1), "old": (0, 3)}},
                                    3), LABELS)
    german = rendered(app, error, "de")
    assert "lässt sich mit den anderen Quoten nicht einhalten" in german
    assert ("das Minimum von 2 auf 1 Platz senken" in german) or ("das Maximum von 1 auf 2 Plätze erhöhen" in german)
    with app.test_request_context(), force_locale("en"):
        change = change_text(error.details["relaxation"][0])
    assert change.startswith("criterion “") and ("lower the minimum" in change or "raise the maximum" in change)


def test_without_labels_the_codes_name_themselves():
    """The pure core and the Sortition Foundation files have only codes; outside an app the English
    text is used and still reads as a sentence."""
    error = infeasible([{"gender": "f"}] + [{"gender": "m"}] * 6, {"gender": {"f": (2, 4), "m": (0, 4)}}, 4)
    assert "Criterion “gender”, option “f”: the minimum is 2, but there is only 1 applicant." in str(error)


def test_a_blocked_replacement_names_the_quota(app):
    answers = {"a": {"gender": "f"}, "b": {"gender": "m"}, "c": {"gender": "m"}}
    with pytest.raises(LotteryError) as caught:
        find_replacement(["a"], ["b", "c"], answers, {"gender": {"f": (2, 2), "m": (0, 0)}}, 2)
    error = apply_labels(caught.value, LABELS)
    assert error.code == "no_replacement"
    german, english = rendered(app, error, "de"), rendered(app, error, "en")
    assert "Niemand auf der Warteliste kann den Platz übernehmen" in german
    assert "Kriterium „Geschlecht“, Antwort „männlich“: höchstens 0 Plätze" in german
    assert "criterion “Geschlecht”, option “männlich”: at most 0 seats" in english
    assert "gender = m" not in german + english


def test_lottery_page_explains_by_label_in_both_languages_and_escapes(app, admin, lottery_event):
    from app.events.models import Criterion
    from app.extensions import db

    people = [{"gender": "f"}] * 5 + [{"gender": "m"}]
    ev = lottery_event(seats=4, criteria={"gender": {"f": (1, 2), "m": (2, 4)}}, people=people)
    with app.app_context():
        criterion = db.session.execute(db.select(Criterion).filter_by(event_id=ev.event_id)).scalar_one()
        criterion.label = "Geschlecht <b>"
        db.session.commit()
    german = lottery_page(admin, ev.event_id)
    assert 'id="lottery-problem"' in german
    assert ("Kriterium „Geschlecht &lt;b&gt;“, Antwort „M“: Das Minimum ist 2, es gibt aber nur 1 Bewerbung."
            in german)
    assert "Geschlecht <b>" not in german and "gender = m" not in german and "min 2 but" not in german
    admin.submit("/language", {"lang": "en", "next": "/"})
    english = lottery_page(admin, ev.event_id)  # the job stored the explanation in every language
    assert "Criterion “Geschlecht &lt;b&gt;”, option “M”: the minimum is 2, but there is only 1 applicant." in english
    assert "lower the minimum from 2 to 1 seat" in english
