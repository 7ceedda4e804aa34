"""The mapping of the provider's groups or roles to Ideenmarkt's roles: configurable claim and
map; no match, no role; never admin by default; a typo in the map grants nothing."""
from __future__ import annotations

import pytest

from app.oidc.client import claim_values, role_map, roles_from_claims


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app


CLAIMS = {"groups": ["/ideenmarkt-admins", "/staff"], "roles": "ideenmarkt-council",
          "realm_access": {"roles": ["ideenmarkt-moderator", "offline_access"]}}


def test_the_claim_can_be_groups_roles_or_a_nested_path(ctx):
    ctx.config["OIDC_ROLE_MAP"] = {"/ideenmarkt-admins": "admin", "ideenmarkt-council": "council",
                                   "ideenmarkt-moderator": ["moderator", "council"]}
    ctx.config["OIDC_ROLES_CLAIM"] = "groups"
    assert roles_from_claims(CLAIMS) == {"admin"}
    ctx.config["OIDC_ROLES_CLAIM"] = "roles"
    assert roles_from_claims(CLAIMS) == {"council"}
    ctx.config["OIDC_ROLES_CLAIM"] = "realm_access.roles"
    assert roles_from_claims(CLAIMS) == {"moderator", "council"}
    ctx.config["OIDC_ROLES_CLAIM"] = "realm_access.missing"
    assert roles_from_claims(CLAIMS) == set()


def test_the_map_from_the_environment_is_a_string(ctx):
    ctx.config["OIDC_ROLE_MAP"] = "/ideenmarkt-admins=admin; cn=Rat,ou=Gruppen=council\n/x=moderator"
    assert role_map() == {"/ideenmarkt-admins": {"admin"}, "cn=Rat,ou=Gruppen": {"council"},
                          "/x": {"moderator"}}


def test_nothing_mapped_nothing_granted_and_typos_grant_nothing(ctx):
    ctx.config["OIDC_ROLES_CLAIM"] = "groups"
    ctx.config["OIDC_ROLE_MAP"] = {}
    assert roles_from_claims(CLAIMS) == set()
    ctx.config["OIDC_ROLE_MAP"] = {"/ideenmarkt-admins": "superadmin", "/staff": "Admin"}
    assert role_map() == {} and roles_from_claims(CLAIMS) == set()
    assert claim_values({"groups": [1, None, "/a"]}, "groups") == ["/a"]
    assert claim_values({"groups": {"nested": "x"}}, "groups") == []
