"""Service rules: capture, edit, tags, hide, merge and un-merge, permissions per stand, change feed."""
from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from app.accounts.models import User
from app.core.models import utcnow
from app.ideas import merge_groups, services
from app.ideas.models import Idea, IdeaChange, IdeaLog, Stand, Tag
from app.ideas.services import IdeaError
from app.ideas.text import fold, normalise_for_matching, split_tags, tag_key


@pytest.fixture
def setup(db, create_user, create_event, create_stand):
    moderator = create_user(roles=("moderator",))
    other_moderator = create_user(roles=("moderator",))
    event = create_event()
    event_id, process_id = event.id, event.process_id
    second_event_id = create_event(process_id=process_id, title="Workshop mit der Wirtschaft").id
    stand_a = create_stand(event_id, "Bürgerportal", moderators=[moderator]).id
    stand_b = create_stand(event_id, "Homepage", moderators=[other_moderator]).id
    stand_c = create_stand(second_event_id, "Verwaltung", moderators=[moderator]).id
    return {
        "moderator": db.session.get(User, moderator.id),
        "other": db.session.get(User, other_moderator.id),
        "a": db.session.get(Stand, stand_a), "b": db.session.get(Stand, stand_b),
        "c": db.session.get(Stand, stand_c), "process_id": process_id,
    }


# -- text folding ------------------------------------------------------------------------


def test_tag_keys_fold_case_umlauts_and_accents():
    assert tag_key("#Bürgerportal") == tag_key("buergerportal") == tag_key("Buergerportal") == "buergerportal"
    assert tag_key("BÜRGER-Portal") == "buergerportal"
    assert tag_key("Straße") == "strasse"
    assert tag_key("Café") == "cafe"
    assert fold("Öffnungszeiten") == "oeffnungszeiten"


def test_split_tags_removes_trailing_tags_and_keeps_words_inside_sentences():
    assert split_tags("Termine online buchen #Bürgerportal #termine") == (
        "Termine online buchen", ["Bürgerportal", "termine"])
    assert split_tags("Mehr #Datenschutz im Portal") == ("Mehr Datenschutz im Portal", ["Datenschutz"])
    assert split_tags("Doppelt #App #app #APP") == ("Doppelt", ["App"])
    assert split_tags("Kein Tag: C# oder &#39;") == ("Kein Tag: C# oder &#39;", [])


def test_normalisation_for_matching_folds_and_stems():
    assert normalise_for_matching("Die Termine im Bürgeramt") == normalise_for_matching("termin buergeramt")
    assert normalise_for_matching("Forms online") == normalise_for_matching("the form online")


# -- capture ---------------------------------------------------------------------------------


def test_record_idea_parses_tags_and_logs(db, setup):
    idea, created = services.record_idea(setup["a"], "  Termine online buchen #Bürgerportal ",
                                         said_by="Frau M.", user=setup["moderator"])
    db.session.commit()
    assert created
    assert idea.text == "Termine online buchen"
    assert [t.label for t in idea.tags] == ["Bürgerportal"]
    assert idea.said_by == "Frau M."
    assert idea.status == "new"
    assert idea.created_by_id == setup["moderator"].id
    entries = db.session.execute(sa.select(IdeaLog).where(IdeaLog.idea_id == idea.id)).scalars().all()
    assert [(e.action, e.user_id) for e in entries] == [("create", setup["moderator"].id)]


def test_same_client_id_twice_gives_one_idea(db, setup):
    client_id = "0b5b0f5e-6a7c-4bb8-9d49-2a4e1b9d7c11"
    first, created = services.record_idea(setup["a"], "WLAN in der Altstadt", client_id=client_id)
    db.session.commit()
    again, created_again = services.record_idea(setup["a"], "WLAN in der Altstadt", client_id=client_id.upper())
    db.session.commit()
    assert created and not created_again
    assert again.id == first.id
    assert db.session.execute(sa.select(sa.func.count(Idea.id))).scalar_one() == 1


def test_tags_are_shared_by_the_process_and_matched_folded(db, setup):
    one, _ = services.record_idea(setup["a"], "Eins #Bürgerportal")
    two, _ = services.record_idea(setup["b"], "Zwei #buergerportal")
    three, _ = services.record_idea(setup["c"], "Drei #BUERGERPORTAL #Datenschutz")
    db.session.commit()
    tags = db.session.execute(sa.select(Tag).order_by(Tag.id)).scalars().all()
    assert [(t.key, t.label) for t in tags] == [("buergerportal", "Bürgerportal"), ("datenschutz", "Datenschutz")]
    assert one.tags[0].id == two.tags[0].id == three.tags[0].id
    counts = {tag.key: n for tag, n in services.process_tags(setup["process_id"])}
    assert counts == {"buergerportal": 3, "datenschutz": 1}


@pytest.mark.parametrize("raw, code", [
    ("", "text_required"),
    ("   #nur #tags  ", "text_required"),
    ("x" * 1001, "text_too_long"),
    ("x" * 100_000, "text_too_long"),
    (12345, "text_invalid"),
    (None, "text_invalid"),
    (["list"], "text_invalid"),
    ("Text " + " ".join(f"#t{i}" for i in range(13)), "too_many_tags"),
])
def test_bad_input_is_refused_with_a_code(db, setup, raw, code):
    with pytest.raises(IdeaError) as info:
        services.record_idea(setup["a"], raw)
    assert info.value.code == code
    assert str(info.value.message)


def test_text_limit_message_names_the_limit(db, setup):
    with pytest.raises(IdeaError) as info:
        services.record_idea(setup["a"], "ä" * 1234)
    assert "1.000" in str(info.value.message) and "1.234" in str(info.value.message)
    idea, _ = services.record_idea(setup["a"], "ä" * 1000)
    assert len(idea.text) == 1000


def test_nul_and_control_characters_are_dropped(db, setup):
    idea, _ = services.record_idea(setup["a"], "Mehr\x00 Bänke\x07 am Neckar", said_by="Gruppe\x00 3")
    assert idea.text == "Mehr Bänke am Neckar"
    assert idea.said_by == "Gruppe 3"


@pytest.mark.parametrize("client_id", ["not-a-uuid", "x" * 300, 17])
def test_invalid_client_id_is_refused(db, setup, client_id):
    with pytest.raises(IdeaError) as info:
        services.record_idea(setup["a"], "Text", client_id=client_id)
    assert info.value.code == "invalid_client_id"


# -- edit and hide ------------------------------------------------------------------------------


def test_edit_changes_text_adds_inline_tags_and_logs_previous_text(db, setup):
    idea, _ = services.record_idea(setup["a"], "Termine buchen #portal")
    db.session.commit()
    services.edit_idea(idea, "Termine online buchen #Termine", user=setup["moderator"])
    db.session.commit()
    assert idea.text == "Termine online buchen"
    assert sorted(t.label for t in idea.tags) == ["Termine", "portal"]
    services.edit_idea(idea, "Termine online buchen", tags=["#app"], said_by="Herr K.", user=setup["moderator"])
    db.session.commit()
    assert [t.label for t in idea.tags] == ["app"]
    assert idea.said_by == "Herr K."
    edit = db.session.execute(sa.select(IdeaLog).where(IdeaLog.action == "edit").order_by(IdeaLog.id)).scalars().first()
    assert json.loads(edit.detail) == {"previous_text": "Termine buchen"}


def test_hide_needs_a_reason_and_keeps_the_idea_for_staff(db, setup):
    idea, _ = services.record_idea(setup["a"], "Beleidigung")
    with pytest.raises(IdeaError) as info:
        services.hide_idea(idea, "  ", user=setup["moderator"])
    assert info.value.code == "reason_required"
    services.hide_idea(idea, "beleidigend", user=setup["moderator"])
    db.session.commit()
    assert idea.status == "hidden" and not idea.is_visible
    assert idea.hidden_reason == "beleidigend"
    assert services.stand_counts([setup["a"].id])[setup["a"].id] == {"hidden": 1}
    with pytest.raises(IdeaError) as info:
        services.hide_idea(idea, "nochmal", user=setup["moderator"])
    assert info.value.code == "cannot_hide"
    services.unhide_idea(idea, user=setup["moderator"])
    assert idea.status == "new" and idea.hidden_reason == ""


# -- merge ------------------------------------------------------------------------------------------


def test_merge_keeps_sources_readable_unites_tags_and_sums_groups(db, setup):
    target, _ = services.record_idea(setup["a"], "Online Termine im Bürgeramt #termine")
    source_b, _ = services.record_idea(setup["b"], "Terminbuchung online #Bürgeramt")
    source_c, _ = services.record_idea(setup["b"], "Termin online buchen #termine #app")
    db.session.commit()
    services.merge_ideas(target, [source_b, source_c], user=setup["moderator"])
    db.session.commit()

    assert {t.label for t in target.tags} == {"termine", "Bürgeramt", "app"}
    assert source_b.status == source_c.status == "merged"
    assert source_b.merged_into_id == source_c.merged_into_id == target.id
    # Provenance: the sources keep their own stand, event, time and text.
    assert source_c.stand.title == "Homepage" and source_c.created_at is not None
    assert source_b.text == "Terminbuchung online"
    assert {s.id for s in target.sources} == {source_b.id, source_c.id}
    log = db.session.execute(sa.select(IdeaLog.action, IdeaLog.idea_id, IdeaLog.other_idea_id, IdeaLog.user_id)
                             .where(IdeaLog.action.in_(("merge", "absorb")))).all()
    assert set(log) == {("merge", source_b.id, target.id, setup["moderator"].id),
                        ("absorb", target.id, source_b.id, setup["moderator"].id),
                        ("merge", source_c.id, target.id, setup["moderator"].id),
                        ("absorb", target.id, source_c.id, setup["moderator"].id)}

    # Dots stay on the original ideas; the survivor's total is the sum over its group.
    dots = {target.id: 4, source_b.id: 2, source_c.id: 5}
    assert sum(dots[i] for i in merge_groups.group_ids(target.id)) == 11

    # Chains count too: the survivor merged into another idea brings its sources along.
    top, _ = services.record_idea(setup["a"], "Digitales Bürgeramt")
    db.session.commit()
    services.merge_ideas(top, [target], user=setup["moderator"])
    db.session.commit()
    dots[top.id] = 1
    assert merge_groups.group_ids(top.id) == sorted([top.id, target.id, source_b.id, source_c.id])
    assert sum(dots[i] for i in merge_groups.group_ids(top.id)) == 12


def test_unmerge_restores_the_source_and_removes_only_tags_the_merge_added(db, setup):
    target, _ = services.record_idea(setup["a"], "Online Termine #termine")
    source, _ = services.record_idea(setup["b"], "Termine online #termine #app")
    other, _ = services.record_idea(setup["b"], "Online-Termine per App #app")
    db.session.commit()
    services.merge_ideas(target, [source], user=setup["moderator"])
    services.merge_ideas(target, [other], user=setup["moderator"])
    db.session.commit()
    assert {t.label for t in target.tags} == {"termine", "app"}

    services.unmerge_idea(source, user=setup["other"])
    db.session.commit()
    assert source.status == "new" and source.merged_into_id is None
    assert {t.label for t in target.tags} == {"termine", "app"}  # "app" still comes from `other`
    assert merge_groups.group_ids(target.id) == sorted([target.id, other.id])

    services.unmerge_idea(other, user=setup["other"])
    db.session.commit()
    assert {t.label for t in target.tags} == {"termine"}
    assert merge_groups.group_ids(target.id) == [target.id]
    actions = db.session.execute(sa.select(IdeaLog.action, IdeaLog.user_id).where(IdeaLog.idea_id == source.id)
                                 .order_by(IdeaLog.id)).all()
    assert [a for a, _ in actions] == ["create", "merge", "unmerge"]
    assert actions[-1][1] == setup["other"].id
    with pytest.raises(IdeaError) as info:
        services.unmerge_idea(source, user=setup["other"])
    assert info.value.code == "not_merged"


def test_merge_rules(db, setup, create_process, create_event, create_stand):
    foreign_stand = create_stand(create_event(process_id=create_process(title="Anderer").id).id)
    a, _ = services.record_idea(setup["a"], "Eins")
    b, _ = services.record_idea(setup["a"], "Zwei")
    hidden, _ = services.record_idea(setup["a"], "Drei")
    services.hide_idea(hidden, "Spam", user=None)
    foreign, _ = services.record_idea(foreign_stand, "Vier")
    db.session.commit()
    for target, sources, code in [
        (a, [], "merge_nothing"), (a, [a], "merge_self"), (a, [hidden], "merge_not_visible"),
        (hidden, [b], "merge_not_visible"), (a, [foreign], "merge_other_event"),
        # Another event of the same process is another event's results too (issue 24, defect 4).
        (a, [services.record_idea(setup["c"], "Fünf")[0]], "merge_other_event"),
    ]:
        with pytest.raises(IdeaError) as info:
            services.merge_ideas(target, sources, user=None)
        assert info.value.code == code
    services.merge_ideas(a, [b], user=None)
    with pytest.raises(IdeaError) as info:
        services.merge_ideas(b, [a], user=None)  # b is merged now: not a target
    assert info.value.code == "merge_not_visible"


# -- permissions ------------------------------------------------------------------------------------


def test_moderators_moderate_only_their_stands_admins_all(db, setup, create_user):
    admin = db.session.get(User, create_user(roles=("admin",)).id)
    council = db.session.get(User, create_user(roles=("council",)).id)
    assert services.can_moderate(setup["moderator"], setup["a"])
    assert services.can_moderate(setup["moderator"], setup["c"])
    assert not services.can_moderate(setup["moderator"], setup["b"])
    assert services.can_moderate(setup["other"], setup["b"])
    assert all(services.can_moderate(admin, s) for s in (setup["a"], setup["b"], setup["c"]))
    assert not services.can_moderate(council, setup["a"])
    assert not services.can_moderate(None, setup["a"])
    assert {s.id for s in services.stands_for(setup["moderator"])} == {setup["a"].id, setup["c"].id}


# -- change feed ------------------------------------------------------------------------------------


def test_every_change_writes_a_feed_row_in_the_same_transaction(db, setup):
    idea, _ = services.record_idea(setup["a"], "Eins")
    other, _ = services.record_idea(setup["a"], "Zwei")
    db.session.rollback()
    assert db.session.execute(sa.select(sa.func.count(IdeaChange.id))).scalar_one() == 0
    idea, _ = services.record_idea(setup["a"], "Eins")
    other, _ = services.record_idea(setup["b"], "Zwei")
    db.session.commit()
    services.edit_idea(idea, "Eins!", user=None)
    services.hide_idea(other, "Test", user=None)
    db.session.commit()
    rows = db.session.execute(sa.select(IdeaChange.idea_id, IdeaChange.kind, IdeaChange.stand_id)
                              .order_by(IdeaChange.id)).all()
    assert rows == [(idea.id, "create", setup["a"].id), (other.id, "create", setup["b"].id),
                    (idea.id, "edit", setup["a"].id), (other.id, "hide", setup["b"].id)]


def test_stand_admin_sets_moderators(db, setup, create_user):
    event = setup["a"].event
    admin_only = create_user(roles=("admin",))
    stand = services.save_stand(event, None, title="  Neuer Stand ", description="Kurz",
                                position=4, moderator_ids=[setup["moderator"].id])
    db.session.commit()
    assert stand.title == "Neuer Stand" and [u.id for u in stand.moderators] == [setup["moderator"].id]
    with pytest.raises(IdeaError) as info:
        services.save_stand(event, stand, title="X", moderator_ids=[admin_only.id])
    assert info.value.code == "unknown_moderator"
    with pytest.raises(IdeaError) as info:
        services.save_stand(event, stand, title="  ")
    assert info.value.code == "title_required"


def test_stand_counts_leave_out_pending_and_withdrawn_online_ideas(db, create_stand, record):
    stand_id = create_stand().id
    ids = [record(stand_id, text).id for text in ("WLAN im Rathaus", "Bürgerportal", "Termine online")]
    pending, withdrawn = (db.session.get(Idea, i) for i in ids[1:])
    pending.channel = withdrawn.channel = "online"
    pending.moderation = "pending"
    withdrawn.withdrawn_at = utcnow()
    db.session.commit()
    assert services.stand_counts([stand_id]) == {stand_id: {"new": 1}}
    pending.moderation = "visible"
    db.session.commit()
    assert services.stand_counts([stand_id]) == {stand_id: {"new": 2}}
