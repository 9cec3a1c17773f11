/* sync/pki.h — keys, certificate requests, certificates and pins (mbedTLS).
 *
 * Hearth's trust model (DESIGN 6): the collector runs its own CA; a device makes
 * its own key, which never leaves it, and sends a certificate request with a
 * one-time code; the collector signs it. Devices pin the collector's CA by the
 * SHA-256 of its public key ("sha256//" + base64, curl's pin syntax), so the
 * first contact needs no trust store.
 *
 * Every key is ECDSA on P-256. All text in and out is PEM; lengths exclude the
 * NUL. Randomness comes from platform/ (a CTR-DRBG seeded from it), never from
 * mbedTLS's own entropy sources. Private keys are wiped from memory after use. */
#ifndef HH_PKI_H
#define HH_PKI_H

#include <stddef.h>
#include <stdint.h>

#include "model/buf.h"
#include "model/diag.h"

#define HH_PKI_PEM_MAX   8192     /* any key, request or certificate we accept */
#define HH_PKI_PIN_LEN   52       /* "sha256//" + 44 base64 characters */
#define HH_PKI_CN_MAX    64

/* Make a new P-256 private key as PEM into key_pem (replaced). */
hh_err hh_pki_key_new(hh_buf *key_pem);

/* A certificate request for subject CN=cn signed by key_pem. */
hh_err hh_pki_csr_new(const char *key_pem, const char *cn, hh_buf *csr_pem);

/* Check a request's self-signature and read its subject CN (at most
 * HH_PKI_CN_MAX bytes). HH_EINVAL for anything malformed or badly signed. */
hh_err hh_pki_csr_subject(const char *csr_pem, size_t len, char cn[HH_PKI_CN_MAX + 1]);

typedef enum hh_pki_role {
    HH_PKI_ROLE_CA,          /* self-signed, CA:TRUE, keyCertSign */
    HH_PKI_ROLE_SERVER,      /* serverAuth, with names */
    HH_PKI_ROLE_CLIENT       /* clientAuth */
} hh_pki_role;

typedef struct hh_pki_issue {
    hh_pki_role role;
    const char *cn;
    const char *subject_key_pem;   /* CA, SERVER: a private key; CLIENT: NULL */
    const char *csr_pem;           /* CLIENT: the device's request */
    const char *ca_cert_pem;       /* SERVER, CLIENT: the issuer */
    const char *ca_key_pem;        /* SERVER, CLIENT: the issuer's key; CA: the same as subject_key_pem */
    const char *const *names;      /* SERVER: DNS names and IP addresses, NULL-terminated */
    int days;                      /* validity from now */
} hh_pki_issue;

/* Issue a certificate as described by req into cert_pem (replaced). */
hh_err hh_pki_issue_cert(const hh_pki_issue *req, hh_buf *cert_pem);

/* The pin of a certificate's public key: "sha256//<base64>". */
hh_err hh_pki_pin(const char *cert_pem, size_t len, char pin[HH_PKI_PIN_LEN + 1]);

/* Enrolment in one short string an officer can type or scan:
 * "hearth://HOST:PORT/CODE/SHORTPIN". The short pin is the first 80 bits of
 * the pin's hash in the one-time codes' alphabet (2-9 and A-Z without I and
 * O, 5 bits a character), in groups of four: "K7Q2-M4XP-9RTD-WZ3A". */
#define HH_PKI_SHORT_PIN_LEN 19
#define HH_ENROL_CODE_LEN    14      /* "ABCD-EFGH-JKLM" */
#define HH_ENROL_STRING_MAX  200

hh_err hh_pki_short_pin(const char *pin, char out[HH_PKI_SHORT_PIN_LEN + 1]);

/* A fresh one-time code, 60 random bits in that alphabet: "ABCD-EFGH-JKLM". */
hh_err hh_pki_enrol_code(char out[HH_ENROL_CODE_LEN + 1]);

/* The string for a collector at url ("https://HOST:PORT"), a code and the CA's
 * pin. HH_EINVAL when url is not https:// or the result would not fit. */
hh_err hh_pki_enrol_string(const char *url, const char *code, const char *pin,
                       char out[HH_ENROL_STRING_MAX + 1]);

/* Read one back, forgiving case, spaces and missing dashes, with or without
 * "hearth://": the collector's URL (https://HOST:PORT), the code and the short
 * pin in their canonical forms. HH_EINVAL, with d saying which part is wrong. */
hh_err hh_pki_enrol_parse(const char *text, char url[HH_ENROL_STRING_MAX + 1],
                             char code[HH_ENROL_CODE_LEN + 1], char short_pin[HH_PKI_SHORT_PIN_LEN + 1],
                             hh_diag *d);

/* The SHA-256 of a certificate's DER encoding, as 64 lowercase hex digits. */
hh_err hh_pki_cert_sha256(const char *cert_pem, size_t len, char hex[65]);

/* The subject CN of a certificate. */
hh_err hh_pki_cert_cn(const char *cert_pem, size_t len, char cn[HH_PKI_CN_MAX + 1]);

/* Seal data[0..len) for the holder of the private key of the certificate
 * cert_pem (the collector's CA): ECIES on P-256 (an ephemeral key, ECDH with
 * the certificate's key, HKDF-SHA256, AES-256-GCM), into out: "HHR1", the
 * ephemeral public key (65 bytes), the nonce (12), the ciphertext, the tag
 * (16). For what a revoked device keeps for the administrator. */
hh_err hh_pki_seal_for(const char *cert_pem, size_t cert_len, const uint8_t *data, size_t len, hh_buf *out);

/* Open what hh_pki_seal_for sealed, with the private key key_pem: HH_EINVAL
 * when it is not such a file, or not for this key, or altered. */
hh_err hh_pki_open_sealed(const char *key_pem, const uint8_t *in, size_t len, hh_buf *out);

#endif
