"""A real OpenLDAP server (Debian ``slapd``) on loopback, with its own test CA, for the LDAP tests.

Usage::

    from tests.support.slapd import Slapd, SlapdError

    with Slapd(ldif=DIRECTORY) as server:
        server.starttls_url         # ldap://127.0.0.1:PORT  (StartTLS required for every operation)
        server.ldaps_url            # ldaps://127.0.0.1:PORT
        server.ca_file              # the test CA that signed the server's certificate
        server.modify(dn, changes)  # as the directory's manager (ldap3, over StartTLS)

The server is this test run's own: a ``slapd.conf`` and an MDB database in a temporary
directory, ports from :func:`tests.support.servers.free_port`, loaded offline with ``slapadd``
(which gives every entry its ``entryUUID``), started in the foreground and stopped (SIGTERM,
then SIGKILL) at ``stop()`` or interpreter exit. A system slapd that Debian's package may have
started is never touched. The certificates come from ``openssl`` (a CA, and a server
certificate for ``127.0.0.1``/``localhost`` signed by it).
"""
from __future__ import annotations

import atexit
import shutil
import signal
import socket
import subprocess
import tempfile
from pathlib import Path

from tests.support import wait_until
from tests.support.servers import HOST, free_port

__all__ = ["Slapd", "SlapdError", "SLAPD", "available"]

SLAPD = "/usr/sbin/slapd"
SLAPADD = "/usr/sbin/slapadd"
MODULE_DIR = "/usr/lib/ldap"
SCHEMA_DIR = "/etc/ldap/schema"
MANAGER_PASSWORD = "manager-secret"  # noqa: S105 - the throwaway test directory's root password


class SlapdError(RuntimeError):
    pass


def available() -> bool:
    return Path(SLAPD).exists() and Path(SLAPADD).exists() and shutil.which("openssl") is not None


def _run(*args: str, cwd: Path | None = None) -> None:
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise SlapdError(f"{' '.join(args)} failed ({done.returncode}): {done.stderr.strip()}")


def make_test_ca(directory: Path) -> tuple[Path, Path, Path]:
    """A CA and a server certificate for 127.0.0.1/localhost signed by it (``openssl``).

    :return: ``(ca_file, cert_file, key_file)``.
    """
    ca_key, ca_file = directory / "ca.key", directory / "ca.pem"
    key_file, csr, cert_file = directory / "server.key", directory / "server.csr", directory / "server.pem"
    ext = directory / "server.ext"
    _run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(ca_key),
         "-out", str(ca_file), "-days", "2", "-subj", "/CN=Ideenmarkt test CA",
         "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    _run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key_file), "-out", str(csr),
         "-subj", "/CN=127.0.0.1")
    ext.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n"
                   "basicConstraints=CA:FALSE\n")
    _run("openssl", "x509", "-req", "-in", str(csr), "-CA", str(ca_file), "-CAkey", str(ca_key),
         "-CAcreateserial", "-out", str(cert_file), "-days", "2", "-extfile", str(ext))
    return ca_file, cert_file, key_file


class Slapd:
    """One slapd with the directory ``ldif`` under ``suffix``."""

    def __init__(self, ldif: str, suffix: str = "dc=stadt,dc=example", *,
                 readers: tuple[str, ...] = ()):
        """:param readers: DNs (e.g. a search service account) that may read every entry; anyone
        else may only bind (authenticate), and nobody reads ``userPassword``."""
        self.ldif = ldif
        self.suffix = suffix
        self.manager_dn = f"cn=manager,{suffix}"
        self.readers = readers
        self.workdir: Path | None = None
        self.process: subprocess.Popen | None = None
        self.port = self.ldaps_port = 0

    # --------------------------------------------------------------------------------------- urls
    @property
    def starttls_url(self) -> str:
        return f"ldap://{HOST}:{self.port}"

    @property
    def ldaps_url(self) -> str:
        return f"ldaps://{HOST}:{self.ldaps_port}"

    @property
    def ca_file(self) -> str:
        assert self.workdir is not None
        return str(self.workdir / "ca.pem")

    # ---------------------------------------------------------------------------------- lifecycle
    def _config(self) -> str:
        assert self.workdir is not None
        readers = "".join(f'  by dn.exact="{dn}" read\n' for dn in self.readers)
        schemas = "".join(f"include {SCHEMA_DIR}/{name}.schema\n"
                          for name in ("core", "cosine", "inetorgperson", "nis"))
        return (
            f"{schemas}"
            f"modulepath {MODULE_DIR}\nmoduleload back_mdb\n"
            f"pidfile {self.workdir}/slapd.pid\nargsfile {self.workdir}/slapd.args\n"
            f"TLSCACertificateFile {self.workdir}/ca.pem\n"
            f"TLSCertificateFile {self.workdir}/server.pem\n"
            f"TLSCertificateKeyFile {self.workdir}/server.key\n"
            # Every operation needs TLS: a client that forgot StartTLS gets "confidentiality required".
            "security tls=1\n"
            "database mdb\n"
            f'suffix "{self.suffix}"\nrootdn "{self.manager_dn}"\nrootpw {MANAGER_PASSWORD}\n'
            f"directory {self.workdir}/db\nmaxsize 10485760\n"
            "access to attrs=userPassword\n  by anonymous auth\n  by * none\n"
            f"access to *\n{readers}  by * none\n"
        )

    def start(self) -> Slapd:
        if self.process is not None:
            return self
        if not available():
            raise SlapdError("slapd, slapadd or openssl missing (scripts/install-test-deps.sh installs them)")
        self.workdir = Path(tempfile.mkdtemp(prefix="ideenmarkt-slapd-"))
        (self.workdir / "db").mkdir()
        make_test_ca(self.workdir)
        conf = self.workdir / "slapd.conf"
        conf.write_text(self._config())
        data = self.workdir / "data.ldif"
        data.write_text(self.ldif)
        _run(SLAPADD, "-f", str(conf), "-l", str(data))
        self.port, self.ldaps_port = free_port(), free_port()
        log = open(self.workdir / "slapd.log", "w")  # noqa: SIM115 - closed in stop()
        self._log = log
        # -d keeps slapd in the foreground (it is this process's child, stopped by stop()).
        self.process = subprocess.Popen(
            [SLAPD, "-f", str(conf), "-h", f"{self.starttls_url}/ {self.ldaps_url}/", "-d", "0"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        atexit.register(self.stop)
        try:
            wait_until(lambda: self._accepts(self.port) and self._accepts(self.ldaps_port), timeout=20,
                       message=self._startup_failure)
        except Exception:
            self.stop()
            raise
        return self

    def _accepts(self, port: int) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise SlapdError(self._startup_failure())
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return True
        except OSError:
            return False

    def _startup_failure(self) -> str:
        text = (self.workdir / "slapd.log").read_text(errors="replace") if self.workdir else ""
        return f"slapd did not start: {text[-2000:]}"

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        if getattr(self, "_log", None) is not None:
            self._log.close()
            self._log = None
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    def __enter__(self) -> Slapd:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # --------------------------------------------------------------------------------- changes
    def manager_connection(self):
        """An ldap3 connection bound as the directory's manager, over StartTLS."""
        import ssl

        import ldap3

        tls = ldap3.Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=self.ca_file)
        server = ldap3.Server(HOST, port=self.port, tls=tls, get_info=ldap3.NONE)
        connection = ldap3.Connection(server, self.manager_dn, MANAGER_PASSWORD, raise_exceptions=True)
        connection.open()
        connection.start_tls()
        connection.bind()
        return connection

    def modify(self, dn: str, changes: dict) -> None:
        """``changes`` as ldap3 takes them, e.g. ``{"member": [(ldap3.MODIFY_DELETE, [user_dn])]}``."""
        connection = self.manager_connection()
        try:
            connection.modify(dn, changes)
        finally:
            connection.unbind()

    def pause(self) -> None:
        """Stop answering (SIGSTOP): the directory is "down" for clients with a timeout."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)
