"""
Payload encryption and signing outside ``cryptography``: PyCryptodome (AES-GCM, RSA OAEP, PEM keys
with passphrases) and PyNaCl (SecretBox, Box, signing keys), as pipelines use them to decrypt
partner files and verify signed payloads. A wrong key is a setting; a tampered payload is data.
"""

from __future__ import annotations

from typing import Any

import nacl.encoding
import nacl.public
import nacl.secret
import nacl.signing
from Crypto.Cipher import AES, PKCS1_OAEP
from Crypto.PublicKey import RSA
from Crypto.Random import get_random_bytes

from tests.corpus.model import C, D, Family


def build(family: Family, closing: list[Any]) -> None:
    key, other = get_random_bytes(32), get_random_bytes(32)
    cipher = AES.new(key, AES.MODE_GCM)
    body, tag = cipher.encrypt_and_digest(b"order,42\n")
    nonce = cipher.nonce

    def gcm(k: bytes, data: bytes, t: bytes) -> Any:
        return lambda: AES.new(k, AES.MODE_GCM, nonce=nonce).decrypt_and_verify(data, t)

    family.add("aes-wrong-key", gcm(other, body, tag), {C, D}, "MAC check failed: another key (or tampering)")
    family.add(
        "aes-tampered",
        gcm(key, bytes([body[0] ^ 1]) + body[1:], tag),
        {D, C},
        "MAC check failed: a flipped byte",
    )
    family.add("aes-key-length", lambda: AES.new(b"short-key", AES.MODE_GCM), C, "a key of the wrong length")
    family.add(
        "aes-cbc-padding",
        lambda: AES.new(key, AES.MODE_CBC, iv=b"\0" * 16).decrypt(b"abc"),
        D,
        "ciphertext not a multiple of the block size",
    )
    rsa = RSA.generate(1024)
    pem = rsa.export_key(passphrase="s3cret", pkcs=8, protection="scryptAndAES128-CBC")
    family.add("rsa-passphrase", lambda: RSA.import_key(pem, passphrase="wrong"), C, "a wrong key passphrase")
    family.add("rsa-no-passphrase", lambda: RSA.import_key(pem), C, "an encrypted key and no passphrase")
    family.add(
        "rsa-garbage", lambda: RSA.import_key(b"-----BEGIN NOTHING-----"), C, "a key setting that is no key"
    )
    sealed = PKCS1_OAEP.new(rsa.public_key()).encrypt(b"token")
    family.add(
        "rsa-wrong-key",
        lambda: PKCS1_OAEP.new(RSA.generate(1024)).decrypt(sealed),
        {C, D},
        "OAEP decryption with another private key",
    )
    family.add(
        "rsa-public-only",
        lambda: PKCS1_OAEP.new(rsa.public_key()).decrypt(sealed),
        C,
        "decrypting with the public key: the wrong key configured",
    )

    box = nacl.secret.SecretBox(key)
    sealed_box = box.encrypt(b"order,42")
    family.add(
        "nacl-wrong-key",
        lambda: nacl.secret.SecretBox(other).decrypt(sealed_box),
        {C, D},
        "CryptoError: decryption failed (another key or tampering)",
    )
    family.add("nacl-short", lambda: box.decrypt(sealed_box[:10]), D, "a truncated ciphertext")
    family.add("nacl-key-length", lambda: nacl.secret.SecretBox(b"short"), C, "a key of the wrong length")
    signer = nacl.signing.SigningKey.generate()
    signed = signer.sign(b"payload")
    family.add(
        "nacl-bad-signature",
        lambda: nacl.signing.SigningKey.generate().verify_key.verify(signed),
        {C, D},
        "BadSignatureError: signed by another key, or altered",
    )
    family.add(
        "nacl-hex-key",
        lambda: nacl.signing.VerifyKey(b"zz" * 32, encoder=nacl.encoding.HexEncoder),
        C,
        "a verify key setting that is not hex",
    )
    alice, bob = nacl.public.PrivateKey.generate(), nacl.public.PrivateKey.generate()
    boxed = nacl.public.Box(alice, bob.public_key).encrypt(b"x")
    family.add(
        "nacl-box-wrong-peer",
        lambda: nacl.public.Box(bob, nacl.public.PrivateKey.generate().public_key).decrypt(boxed),
        {C, D},
        "a Box with the wrong peer key",
    )
