"""Staff sign-in against the city's LDAP / Active Directory (``ldap3``).

Sign-in: bind as the search account (``LDAP_BIND_DN``), find exactly one person by
``LDAP_USER_FILTER`` (the typed login escaped with ``escape_filter_chars``, so no filter can be
injected) who is not disabled (``LDAP_DISABLED_FILTER``), bind as that person with the typed
password, then map their groups to roles (``LDAP_GROUP_ROLES``, nested groups by
``LDAP_NESTED_GROUPS``). Always over TLS: ``ldaps://`` URLs, or StartTLS on ``ldap://`` ones,
with the certificate checked against ``LDAP_CA_CERT_FILE``. Several ``LDAP_SERVERS`` are tried in
order (failover). Nothing here touches the database: :mod:`app.accounts.external` provisions.
"""
from __future__ import annotations

import json
import logging
import re
import ssl
import uuid
from collections.abc import Iterable

import ldap3
from flask import current_app
from ldap3.core import exceptions as ldap_errors
from ldap3.utils.conv import escape_filter_chars

from app.accounts.external import DirectoryUnavailable, ExternalAccount
from app.core.access import ROLES

logger = logging.getLogger(__name__)

#: Active Directory's matching rule that follows nested group membership on the server.
AD_IN_CHAIN = "1.2.840.113556.1.4.1941"
#: How deep nested groups are followed when walking them (OpenLDAP); cycles are cut anyway.
MAX_NESTING = 10


def enabled() -> bool:
    return bool(_servers_setting())


def _servers_setting() -> list[str]:
    raw = current_app.config.get("LDAP_SERVERS") or []
    if isinstance(raw, str):
        raw = raw.replace(",", " ").split()
    return [url.strip() for url in raw if url.strip()]


def group_roles() -> dict[str, set[str]]:
    """``LDAP_GROUP_ROLES`` (a dict, or JSON text from the environment) as normalised group DN →
    roles; unknown role names are dropped (a wrong mapping grants nothing)."""
    raw = current_app.config.get("LDAP_GROUP_ROLES") or {}
    if isinstance(raw, str):
        raw = json.loads(raw or "{}")
    mapping: dict[str, set[str]] = {}
    for dn, roles in raw.items():
        names = {roles} if isinstance(roles, str) else set(roles)
        mapping.setdefault(normalise_dn(dn), set()).update(names & set(ROLES))
    return mapping


def normalise_dn(dn: str) -> str:
    """DNs compare case-insensitively and without spaces around ``=`` and ``,``."""
    compact = re.sub(r"(?<!\\)\s*([,=+])\s*", r"\1", dn.strip())
    try:
        parts = ldap3.utils.dn.parse_dn(compact)
    except ldap_errors.LDAPInvalidDnError:
        return compact.lower()
    return ",".join(f"{attr.lower()}={value.lower()}" for attr, value, _sep in parts)


def user_filter(login: str) -> str:
    """The search filter for a typed login: ``LDAP_USER_FILTER`` with ``{login}`` escaped, and
    not matching ``LDAP_DISABLED_FILTER``."""
    base = current_app.config["LDAP_USER_FILTER"].replace("{login}", escape_filter_chars(login))
    return _not_disabled(base)


def _not_disabled(search: str) -> str:
    disabled = current_app.config.get("LDAP_DISABLED_FILTER")
    return f"(&{search}(!{disabled}))" if disabled else search


# Connections ---------------------------------------------------------------------------------

def _servers() -> list[ldap3.Server]:
    config = current_app.config
    ca_file = config.get("LDAP_CA_CERT_FILE") or None
    tls = ldap3.Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=ca_file, version=ssl.PROTOCOL_TLS_CLIENT)
    timeout = float(config.get("LDAP_CONNECT_TIMEOUT", 5))
    return [ldap3.Server(url, tls=tls, get_info=ldap3.NONE, connect_timeout=timeout)
            for url in _servers_setting()]


def _connect(user: str | None, password: str | None) -> ldap3.Connection:
    """An open, TLS-protected connection bound as ``user``, to the first server that answers
    (failover in the order of ``LDAP_SERVERS``; each is tried once, for ``LDAP_CONNECT_TIMEOUT``).

    :raises DirectoryUnavailable: no server answered, or TLS failed.
    :raises ldap_errors.LDAPBindError: wrong credentials.
    """
    failures = []
    for server in _servers():
        connection = ldap3.Connection(
            server, user=user, password=password, raise_exceptions=True, auto_bind=ldap3.AUTO_BIND_NONE,
            receive_timeout=int(current_app.config.get("LDAP_RECEIVE_TIMEOUT", 10)), read_only=True)
        try:
            connection.open()
            if not server.ssl:
                connection.start_tls()
        except (ldap_errors.LDAPException, OSError, ssl.SSLError) as exc:
            _close(connection)
            failures.append(f"{server.host}:{server.port}: {type(exc).__name__}")
            continue
        try:
            connection.bind()
        except (ldap_errors.LDAPBindError, ldap_errors.LDAPInvalidCredentialsResult):
            _close(connection)
            raise ldap_errors.LDAPBindError("invalid credentials") from None
        except (ldap_errors.LDAPException, OSError) as exc:
            _close(connection)
            failures.append(f"{server.host}:{server.port}: {type(exc).__name__}")
            continue
        return connection
    raise DirectoryUnavailable("; ".join(failures) or "no LDAP_SERVERS")


def _close(connection: ldap3.Connection) -> None:
    try:
        connection.unbind()
    except Exception:  # noqa: BLE001 - closing a broken connection may fail again; nothing to do
        pass


def _service_connection() -> ldap3.Connection:
    config = current_app.config
    try:
        return _connect(config.get("LDAP_BIND_DN") or None, config.get("LDAP_BIND_PASSWORD") or None)
    except ldap_errors.LDAPBindError as exc:
        # The search account's password is wrong or expired: for the person signing in, the
        # directory cannot be used.
        logger.error("LDAP: the search account (LDAP_BIND_DN) was refused")
        raise DirectoryUnavailable("search account refused") from exc


def _search(connection: ldap3.Connection, base: str, search: str, attributes: Iterable[str],
            scope=ldap3.SUBTREE) -> list:
    try:
        connection.search(base, search, search_scope=scope, attributes=list(attributes), size_limit=50)
    except ldap_errors.LDAPNoSuchObjectResult:
        return []
    except (ldap_errors.LDAPException, OSError) as exc:
        raise DirectoryUnavailable(f"{type(exc).__name__}: {exc}") from exc
    return [entry for entry in connection.response or [] if entry.get("type") == "searchResEntry"]


# Sign-in and revalidation --------------------------------------------------------------------

def authenticate(login: str, password: str) -> ExternalAccount | None:
    """The person with this login and password as the directory sees them now, or None (not
    found, ambiguous, disabled, wrong password).

    :raises DirectoryUnavailable: no server could be asked.
    """
    login = (login or "").strip()
    if not login or not password or len(login) > 254:
        return None  # an empty password would be an anonymous bind, which "succeeds"
    connection = _service_connection()
    try:
        entries = _search(connection, current_app.config["LDAP_BASE_DN"], user_filter(login),
                          _person_attributes())
        if len(entries) != 1:
            return None
        entry = entries[0]
        try:
            _close(_connect(entry["dn"], password))
        except ldap_errors.LDAPBindError:
            return None
        return _account(connection, entry)
    finally:
        _close(connection)


def revalidate(user) -> ExternalAccount | None:
    """The revalidator for ``ldap`` accounts: the person found again by their stable id (None
    also when LDAP has been switched off)."""
    if not enabled():
        return None
    id_attribute = current_app.config["LDAP_ID_ATTRIBUTE"]
    connection = _service_connection()
    try:
        search = _not_disabled(f"({id_attribute}={_id_filter_value(user.external_id or '')})")
        entries = _search(connection, current_app.config["LDAP_BASE_DN"], search, _person_attributes())
        return _account(connection, entries[0]) if len(entries) == 1 else None
    finally:
        _close(connection)


def _person_attributes() -> list[str]:
    config = current_app.config
    return [config["LDAP_ID_ATTRIBUTE"], config["LDAP_EMAIL_ATTRIBUTE"], config["LDAP_NAME_ATTRIBUTE"], "cn"]


def _first(entry: dict, name: str):
    raw = entry.get("raw_attributes", {}).get(name) or []
    value = entry.get("attributes", {}).get(name)
    if isinstance(value, list):
        value = value[0] if value else None
    return value, (raw[0] if raw else None)


def _external_id(entry: dict) -> str:
    value, raw = _first(entry, current_app.config["LDAP_ID_ATTRIBUTE"])
    if isinstance(raw, bytes) and len(raw) == 16 and current_app.config["LDAP_ID_ATTRIBUTE"].lower() == "objectguid":
        return str(uuid.UUID(bytes_le=raw))  # AD's objectGUID is 16 bytes, little-endian
    return str(value or "").strip()


def _id_filter_value(external_id: str) -> str:
    if current_app.config["LDAP_ID_ATTRIBUTE"].lower() == "objectguid":
        try:
            raw = uuid.UUID(external_id).bytes_le
        except ValueError:
            return "\\00"
        return "".join(f"\\{byte:02x}" for byte in raw)
    return escape_filter_chars(external_id)


def _account(connection: ldap3.Connection, entry: dict) -> ExternalAccount | None:
    config = current_app.config
    external_id = _external_id(entry)
    if not external_id:
        logger.warning("LDAP: entry without %s", config["LDAP_ID_ATTRIBUTE"])
        return None
    email, _ = _first(entry, config["LDAP_EMAIL_ATTRIBUTE"])
    name, _ = _first(entry, config["LDAP_NAME_ATTRIBUTE"])
    if not name:
        name, _ = _first(entry, "cn")
    roles = roles_for(connection, entry["dn"])
    return ExternalAccount("ldap", external_id, str(email or ""), str(name or ""), frozenset(roles))


def roles_for(connection: ldap3.Connection, user_dn: str) -> set[str]:
    """The roles of the mapped groups ``user_dn`` belongs to, directly or through nested groups."""
    mapping = group_roles()
    if not mapping:
        return set()
    groups = _groups_in_chain(connection, user_dn, mapping) if _nesting() == "ad" else _walk_groups(connection, user_dn)
    roles: set[str] = set()
    for dn in groups:
        roles |= mapping.get(normalise_dn(dn), set())
    return roles


def _nesting() -> str:
    return str(current_app.config.get("LDAP_NESTED_GROUPS", "walk")).lower()


def in_chain_filter(user_dn: str) -> str:
    """Active Directory: "is ``user_dn`` a member of this group, also through nested groups"."""
    attribute = current_app.config.get("LDAP_GROUP_MEMBER_ATTRIBUTE", "member")
    return f"({attribute}:{AD_IN_CHAIN}:={escape_filter_chars(user_dn)})"


def _groups_in_chain(connection: ldap3.Connection, user_dn: str, mapping: dict) -> set[str]:
    """Active Directory resolves nesting itself: one base search per mapped group."""
    found = set()
    for group_dn in mapping:
        if _search(connection, group_dn, in_chain_filter(user_dn), ["cn"], scope=ldap3.BASE):
            found.add(group_dn)
    return found


def _walk_groups(connection: ldap3.Connection, user_dn: str) -> set[str]:
    """OpenLDAP and others: the groups whose member attribute names the person, then the groups
    that name those groups, and so on (breadth first, cycles cut, at most MAX_NESTING levels);
    with ``LDAP_NESTED_GROUPS = "none"`` direct groups only."""
    config = current_app.config
    attribute = config.get("LDAP_GROUP_MEMBER_ATTRIBUTE", "member")
    group_filter = config.get("LDAP_GROUP_FILTER", "(objectClass=groupOfNames)")
    base = config.get("LDAP_GROUP_BASE_DN") or config["LDAP_BASE_DN"]
    seen: set[str] = set()
    frontier = [user_dn]
    for _level in range(MAX_NESTING if _nesting() != "none" else 1):
        if not frontier:
            break
        members = "".join(f"({attribute}={escape_filter_chars(dn)})" for dn in frontier)
        entries = _search(connection, base, f"(&{group_filter}(|{members}))", ["cn"])
        frontier = []
        for entry in entries:
            key = normalise_dn(entry["dn"])
            if key not in seen:
                seen.add(key)
                frontier.append(entry["dn"])
    return seen
