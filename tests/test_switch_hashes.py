"""IOS secret hashes verified offline, against published examples and a real program (OpenSSL).

A type 5/8/9 hash printed by a switch is compliant when it verifies against the wanted secret
(switches/hashes.py), so the examples must be ones schoolnet did not make: hashcat's published
example hashes for modes 500 (MD5-crypt), 9200 (Cisco-IOS $8$) and 9300 (Cisco-IOS $9$), each of
the password `hashcat`, and `openssl passwd -1` for MD5-crypt with any salt."""

from __future__ import annotations

import subprocess

import pytest

from schoolnet.switches.hashes import ios_secret, ios_verifies, md5_crypt

PUBLISHED = [
    ("5", "$1$28772684$iEwNOgGugqO9.bIz5sk8k/"),
    ("8", "$8$TnGX/fE4KGHOVU$pEhnEvxrvaynpi8j4f.EMHr6M.FzU8xnZnBr/tJdFWk"),
    ("9", "$9$2MJBozw/9R3UsU$2lFhcKvpghcyw8deP25GOfyZaagyUOGBymkryvOdfo6"),
]


@pytest.mark.parametrize(("kind", "printed"), PUBLISHED)
def test_a_published_hash_verifies_for_its_password_and_not_another(kind: str, printed: str) -> None:
    assert ios_verifies(kind, printed, "hashcat")
    assert not ios_verifies(kind, printed, "hashcaT")


@pytest.mark.parametrize(("password", "salt"), [("password", "vBQQ"), ("S3cret-admin", "Zx9a"), ("", "abcd"),
                                                 ("a much longer password than sixteen bytes", "12345678")])
def test_md5_crypt_equals_openssl(password: str, salt: str) -> None:
    made = subprocess.run(["openssl", "passwd", "-1", "-salt", salt, password], capture_output=True, text=True,
                          check=True).stdout.strip()
    assert md5_crypt(password, salt) == made


@pytest.mark.parametrize("kind", [5, 8, 9])
def test_a_new_hash_verifies_and_has_the_printed_shape(kind: int) -> None:
    made = ios_secret("N3w-admin", kind)
    assert ios_verifies(str(kind), made, "N3w-admin") and not ios_verifies(str(kind), made, "N3w-admiN")
    assert made.startswith("$1$" if kind == 5 else f"${kind}$")
    assert made != ios_secret("N3w-admin", kind)  # a fresh salt each time


@pytest.mark.parametrize(("kind", "printed"), [("4", "XJs1kDT984d4u/RcgM1oWYsonq4S11mG8xa9fZJ0J8Q"),
                                               ("7", "0822455D0A16"), ("9", "$9$short$abc"), ("5", "not-a-hash")])
def test_a_hash_that_cannot_be_checked_is_never_taken_as_proof(kind: str, printed: str) -> None:
    assert not ios_verifies(kind, printed, "hashcat")
