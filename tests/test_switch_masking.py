"""Credentials schoolnet never knew are masked by their syntax, in every line it shows.

Rows are lines printed by real switches (public running-configs of other networks, VRP V200R005 to
V200R022 and IOS 12.2 to IOS-XE 17.6; sources in docs/switches.md) and lines a technician types, with
what must show.  A secret left in one of them would reach the audit, `plan`, the JSON and the record."""

from __future__ import annotations

import pytest

from schoolnet.switches.masking import mask_credentials

M = "<masked>"
CASES = [
    # VRP: irreversible and reversible ciphers, by shape and by keyword
    ('local-user admin password irreversible-cipher $1c$&g__1]ufS8$4TU91.jqtTd7KzTf_[VM(x@N"@9acF{6Y,O[a<x<$',
     f"local-user admin password irreversible-cipher {M}"),
    ("local-user cheche password irreversible-cipher %@%@,+f=CyB-lIysyj==,X63DS>gZ8Q8,3/Cf-LR6qO)RdaYS>jD%@%@",
     f"local-user cheche password irreversible-cipher {M}"),
    ("set authentication password cipher $1a$p@O1.}X].$$NDM`'$arbU;<mV0m<+wOSPc\"BSq_,@TP%4JetX~D$",
     f"set authentication password cipher {M}"),
    ("snmp-agent community read cipher %^%#U)7\\NHc]K@4H0@+:B[kM+6xB@M6oe#oW-f3Q~'}1\\#<$#\"7q{WV%qT3LSYf9#z/=0Qrm^A3W"
     "GfM52~7/%^%#", f"snmp-agent community read cipher {M}"),
    ('snmp-agent community read cipher %$%$LSTF"Guwp"Ec0^+,wF\\7|f|=Zq)"2m1lc,1X\\3BuOa::f|@|k{d-2|YOn%Ke"'
     '>Wm+Hr-|I|f%$%$',
     f"snmp-agent community read cipher {M}"),
    ('hwtacacs server shared-key cipher %^%#dLgh.=>wU,o8r$+*>Y1Wq:3_H(d)"N{.MX3hm!L-%^%#',
     f"hwtacacs server shared-key cipher {M}"),
    ("set save-configuration backup-to-server server 10.244.244.250 transport-type ftp user backups password "
     "%^%#z<fx&-0ygD&B'gOhZ28EVx3B=ku;/L,%Yi#@T6KL%^%# path huawei",
     "set save-configuration backup-to-server server 10.244.244.250 transport-type ftp user backups password "
     f"{M} path huawei"),
    ("radius-server shared-key cipher Typed-By-Hand1", f"radius-server shared-key cipher {M}"),
    ("snmp-agent community write Private-RW", f"snmp-agent community write {M}"),
    ("snmp-agent usm-user v3 mon authentication-mode sha2-256 cipher Typed-By-Hand2",
     f"snmp-agent usm-user v3 mon authentication-mode sha2-256 cipher {M}"),
    ("security-key simple 00E0FC0000000000", f"security-key simple {M}"),
    # IOS: hashes, type 7, plain text, SNMP, AAA servers, routing keys
    ("username etudiant privilege 15 secret 9 $9$D/hh3TaVW8VEF.$FZObadhOIwXPzr0wuIO5/Y8Z1VOcXuyuDf.",
     f"username etudiant privilege 15 secret 9 {M}"),
    ("username etudiant privilege 15 secret 4 XJs1kDT984d4u/RcgM1oWYsonq4S11mG8xa9fZJ0J8Q",
     f"username etudiant privilege 15 secret 4 {M}"),
    ("enable secret 5 $1$vBQQ$jB1GtwjsfACqxy.eWMeD70", f"enable secret 5 {M}"),
    ("username admin password 7 0506070535495F", f"username admin password 7 {M}"),
    ("username admin privilege 15 password 0 clear-text", f"username admin privilege 15 password 0 {M}"),
    (" password @_PW_@", f" password {M}"),
    ("snmp-server community PUBRO RO", f"snmp-server community {M} RO"),
    ("snmp-server community PRIVRW RW 10", f"snmp-server community {M} RW 10"),
    ("snmp-server user u3 G3PRIV v3 auth sha Auth-Pass1 priv aes 128 Priv-Pass1",
     f"snmp-server user u3 G3PRIV v3 auth sha {M} priv aes 128 {M}"),
    ("tacacs-server key 7 0822455D0A16", f"tacacs-server key 7 {M}"),
    (" key 7 0822455D0A16", f" key 7 {M}"),
    ("ntp authentication-key 1 md5 Ntp-Key1 7", f"ntp authentication-key 1 md5 {M} 7"),
    (" ip ospf message-digest-key 1 md5 Ospf-Key1", f" ip ospf message-digest-key 1 md5 {M}"),
    ("no snmp-server community PUBRO", f"no snmp-server community {M}"),
    # lines with a credential keyword and no credential: shown as they are
    ("service password-encryption", None), ("no service password-encryption", None),
    ("ssh user cheche authentication-type password", None), (" authentication-mode password", None),
    ("local-aaa-user password policy administrator", None),
    ("local-aaa-user wrong-password retry-interval 5 retry-time 10 block-time 5", None),
    ("undo local-user password change-offline enable", None), (" password expire 0", None),
    (" password history record number 0", None), ("snmp-agent community complexity-check disable", None),
    ("ssh server cipher aes256_ctr aes128_ctr", None), ("ssh server publickey rsa_sha2_512 rsa_sha2_256", None),
    ("ssh client key-exchange dh_group16_sha512 dh_group15_sha512", None),
    ("crypto key generate rsa modulus 2048", None), (" rsakeypair TP-self-signed-2716685696", None),
    # already masked by the secret store: left as it is
    ("local-user admin password irreversible-cipher <secret:switch/nx-sad-001/admin>", None),
    ("local-user admin password irreversible-cipher <secret:switch/nx-sad-001/admin, an earlier value>", None),
]


@pytest.mark.parametrize(("line", "shown"), CASES)
def test_a_credential_is_masked_by_its_syntax(line: str, shown: str | None) -> None:
    assert mask_credentials(line) == (line if shown is None else shown)
