/* sync/pki.c — keys, requests, certificates and pins on mbedTLS (see pki.h).
 *
 * Each function sets up its mbedTLS contexts, does one job and frees (and, for
 * keys, wipes) everything at one cleanup label. A CTR-DRBG seeded from
 * hh_platform_random supplies every random number. */
#include "pki.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <mbedtls/asn1.h>
#include <mbedtls/base64.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecdh.h>
#include <mbedtls/ecp.h>
#include <mbedtls/gcm.h>
#include <mbedtls/hkdf.h>
#include <mbedtls/md.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/sha256.h>
#include <mbedtls/x509_crt.h>
#include <mbedtls/x509_csr.h>
#include <psa/crypto.h>

#include "platform/platform.h"

typedef struct rng {
    mbedtls_ctr_drbg_context drbg;
} rng;

static int platform_entropy(void *ctx, unsigned char *out, size_t len)
{
    (void)ctx;
    return hh_platform_random(out, len) == HH_OK ? 0 : -1;
}

static hh_err rng_setup(rng *r)
{
    static const unsigned char personal[] = "hearth-pki";

    mbedtls_ctr_drbg_init(&r->drbg);
    if (psa_crypto_init() != PSA_SUCCESS)
        return HH_EIO;
    if (mbedtls_ctr_drbg_seed(&r->drbg, platform_entropy, NULL, personal, sizeof personal) != 0)
        return HH_EIO;
    return HH_OK;
}

static void rng_free(rng *r)
{
    mbedtls_ctr_drbg_free(&r->drbg);
}

/* A subject CN we put into certificates: letters, digits, space, '.', '_', '-'
 * only, so it can go into an X.500 name string without escaping. */
static int cn_ok(const char *cn)
{
    size_t n = strlen(cn);

    return n > 0 && n <= HH_PKI_CN_MAX &&
           strspn(cn, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ._-") == n;
}

static hh_err parse_private_key(mbedtls_pk_context *pk, const char *pem, rng *r)
{
    size_t n = strlen(pem);

    if (n == 0 || n > HH_PKI_PEM_MAX)
        return HH_EINVAL;
    if (mbedtls_pk_parse_key(pk, (const unsigned char *)pem, n + 1, NULL, 0,
                             mbedtls_ctr_drbg_random, &r->drbg) != 0)
        return HH_EINVAL;
    return HH_OK;
}

hh_err hh_pki_key_new(hh_buf *key_pem)
{
    unsigned char out[HH_PKI_PEM_MAX];
    mbedtls_pk_context pk;
    rng r;
    hh_err ret = HH_EIO;

    mbedtls_pk_init(&pk);
    if ((ret = rng_setup(&r)) != HH_OK)
        goto cleanup;
    ret = HH_EIO;
    if (mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) != 0 ||
        mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(pk), mbedtls_ctr_drbg_random,
                            &r.drbg) != 0 ||
        mbedtls_pk_write_key_pem(&pk, out, sizeof out) != 0)
        goto cleanup;
    hh_buf_reset(key_pem);
    ret = hh_buf_puts(key_pem, (const char *)out);
cleanup:
    mbedtls_platform_zeroize(out, sizeof out);
    mbedtls_pk_free(&pk);
    rng_free(&r);
    return ret;
}

hh_err hh_pki_csr_new(const char *key_pem, const char *cn, hh_buf *csr_pem)
{
    unsigned char out[HH_PKI_PEM_MAX];
    char subject[HH_PKI_CN_MAX + 8];
    mbedtls_x509write_csr req;
    mbedtls_pk_context pk;
    rng r;
    hh_err ret;

    mbedtls_pk_init(&pk);
    mbedtls_x509write_csr_init(&req);
    if ((ret = rng_setup(&r)) != HH_OK)
        goto cleanup;
    ret = HH_EINVAL;
    if (!cn_ok(cn) || parse_private_key(&pk, key_pem, &r) != HH_OK)
        goto cleanup;
    snprintf(subject, sizeof subject, "CN=%s", cn);
    mbedtls_x509write_csr_set_md_alg(&req, MBEDTLS_MD_SHA256);
    mbedtls_x509write_csr_set_key(&req, &pk);
    ret = HH_EIO;
    if (mbedtls_x509write_csr_set_subject_name(&req, subject) != 0 ||
        mbedtls_x509write_csr_pem(&req, out, sizeof out, mbedtls_ctr_drbg_random, &r.drbg) != 0)
        goto cleanup;
    hh_buf_reset(csr_pem);
    ret = hh_buf_puts(csr_pem, (const char *)out);
cleanup:
    mbedtls_x509write_csr_free(&req);
    mbedtls_pk_free(&pk);
    rng_free(&r);
    return ret;
}

/* The CN of a parsed name, copied with its bound. */
static hh_err name_cn(const mbedtls_x509_name *name, char cn[HH_PKI_CN_MAX + 1])
{
    for (; name; name = name->next) {
        if (MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &name->oid) == 0) {
            if (name->val.len == 0 || name->val.len > HH_PKI_CN_MAX)
                return HH_EINVAL;
            memcpy(cn, name->val.p, name->val.len);
            cn[name->val.len] = '\0';
            return strlen(cn) == name->val.len && cn_ok(cn) ? HH_OK : HH_EINVAL;
        }
    }
    return HH_EINVAL;
}

/* Parse NUL-terminated or not, PEM text of len bytes: mbedTLS wants the NUL
 * counted for PEM, so copy into a bounded buffer that has one. */
static hh_err pem_copy(const char *pem, size_t len, unsigned char out[HH_PKI_PEM_MAX + 1])
{
    if (len == 0 || len > HH_PKI_PEM_MAX || memchr(pem, '\0', len))
        return HH_EINVAL;
    memcpy(out, pem, len);
    out[len] = '\0';
    return HH_OK;
}

hh_err hh_pki_csr_subject(const char *csr_pem, size_t len, char cn[HH_PKI_CN_MAX + 1])
{
    unsigned char text[HH_PKI_PEM_MAX + 1], hash[32];
    mbedtls_x509_csr csr;
    hh_err ret = HH_EINVAL;

    mbedtls_x509_csr_init(&csr);
    if (pem_copy(csr_pem, len, text) != HH_OK || psa_crypto_init() != PSA_SUCCESS ||
        mbedtls_x509_csr_parse(&csr, text, len + 1) != 0)
        goto cleanup;
    /* Only ECDSA with SHA-256, and the request must be signed by its own key:
     * proof that the device holds the private key. */
    if (mbedtls_pk_get_type(&csr.pk) != MBEDTLS_PK_ECKEY ||
        csr.MBEDTLS_PRIVATE(sig_md) != MBEDTLS_MD_SHA256 ||
        mbedtls_sha256(csr.cri.p, csr.cri.len, hash, 0) != 0 ||
        mbedtls_pk_verify(&csr.pk, MBEDTLS_MD_SHA256, hash, sizeof hash,
                          csr.MBEDTLS_PRIVATE(sig).p, csr.MBEDTLS_PRIVATE(sig).len) != 0)
        goto cleanup;
    ret = name_cn(&csr.subject, cn);
cleanup:
    mbedtls_x509_csr_free(&csr);
    return ret;
}

/* "YYYYMMDDhhmmss" in UTC for now + offset_s. */
static void x509_time(int64_t offset_s, char out[16])
{
    time_t t = (time_t)(hh_platform_wall_ms() / 1000) + (time_t)offset_s;
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(out, 16, "%Y%m%d%H%M%S", &tm);
}

/* The SAN list for names: IP addresses as such, the rest as DNS names. */
#define SAN_MAX 16
typedef struct san_set {
    mbedtls_x509_san_list nodes[SAN_MAX];
    unsigned char ip[SAN_MAX][16];
} san_set;

static hh_err build_sans(const char *const *names, san_set *s, mbedtls_x509_san_list **head)
{
    int n = 0;

    *head = NULL;
    memset(s, 0, sizeof *s);
    for (; names && *names; names++, n++) {
        mbedtls_x509_subject_alternative_name *node = &s->nodes[n].node;
        if (n == SAN_MAX)
            return HH_ERANGE;
        if (inet_pton(AF_INET, *names, s->ip[n]) == 1) {
            node->type = MBEDTLS_X509_SAN_IP_ADDRESS;
            node->san.unstructured_name.p = s->ip[n];
            node->san.unstructured_name.len = 4;
        } else if (inet_pton(AF_INET6, *names, s->ip[n]) == 1) {
            node->type = MBEDTLS_X509_SAN_IP_ADDRESS;
            node->san.unstructured_name.p = s->ip[n];
            node->san.unstructured_name.len = 16;
        } else {
            size_t len = strlen(*names);
            if (len == 0 || len > 253 ||
                strspn(*names, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") != len)
                return HH_EINVAL;
            node->type = MBEDTLS_X509_SAN_DNS_NAME;
            node->san.unstructured_name.p = (unsigned char *)*names;
            node->san.unstructured_name.len = len;
        }
        s->nodes[n].next = NULL;
        if (n > 0)
            s->nodes[n - 1].next = &s->nodes[n];
    }
    *head = n ? &s->nodes[0] : NULL;
    return HH_OK;
}

hh_err hh_pki_issue_cert(const hh_pki_issue *req, hh_buf *cert_pem)
{
    unsigned char out[HH_PKI_PEM_MAX], serial[16], text[HH_PKI_PEM_MAX + 1];
    char subject[HH_PKI_CN_MAX + 8], issuer[512], not_before[16], not_after[16];
    mbedtls_pk_context subject_key, issuer_key;
    mbedtls_x509_crt ca;
    mbedtls_x509_csr csr;
    mbedtls_x509write_cert crt;
    mbedtls_asn1_sequence eku;
    mbedtls_x509_san_list *sans = NULL;
    san_set san_storage;
    mbedtls_pk_context *subject_pk = &subject_key;
    char csr_cn[HH_PKI_CN_MAX + 1];
    rng r;
    hh_err ret;
    int is_ca = req->role == HH_PKI_ROLE_CA;

    mbedtls_pk_init(&subject_key);
    mbedtls_pk_init(&issuer_key);
    mbedtls_x509_crt_init(&ca);
    mbedtls_x509_csr_init(&csr);
    mbedtls_x509write_crt_init(&crt);
    if ((ret = rng_setup(&r)) != HH_OK)
        goto cleanup;
    ret = HH_EINVAL;
    if (!cn_ok(req->cn) || req->days < 1 || req->days > 36500 || !req->ca_key_pem)
        goto cleanup;
    snprintf(subject, sizeof subject, "CN=%s", req->cn);

    /* The subject's public key: its own key, or the one in the request. */
    if (req->role == HH_PKI_ROLE_CLIENT) {
        if (!req->csr_pem || hh_pki_csr_subject(req->csr_pem, strlen(req->csr_pem), csr_cn) != HH_OK ||
            pem_copy(req->csr_pem, strlen(req->csr_pem), text) != HH_OK ||
            mbedtls_x509_csr_parse(&csr, text, strlen(req->csr_pem) + 1) != 0)
            goto cleanup;
        subject_pk = &csr.pk;
    } else if (!req->subject_key_pem || parse_private_key(&subject_key, req->subject_key_pem, &r) != HH_OK) {
        goto cleanup;
    }
    if (parse_private_key(&issuer_key, req->ca_key_pem, &r) != HH_OK)
        goto cleanup;
    if (is_ca) {
        snprintf(issuer, sizeof issuer, "%s", subject);
    } else {
        if (!req->ca_cert_pem || pem_copy(req->ca_cert_pem, strlen(req->ca_cert_pem), text) != HH_OK ||
            mbedtls_x509_crt_parse(&ca, text, strlen(req->ca_cert_pem) + 1) != 0 ||
            mbedtls_x509_dn_gets(issuer, sizeof issuer, &ca.subject) < 0)
            goto cleanup;
    }
    if ((ret = build_sans(req->role == HH_PKI_ROLE_SERVER ? req->names : NULL, &san_storage, &sans)) != HH_OK)
        goto cleanup;
    if ((ret = hh_platform_random(serial, sizeof serial)) != HH_OK)
        goto cleanup;
    serial[0] &= 0x7F;   /* a positive INTEGER */
    serial[0] |= 0x01;   /* with no leading zero byte */
    x509_time(-3600, not_before);   /* an hour of slack for device clocks */
    x509_time((int64_t)req->days * 86400, not_after);

    ret = HH_EIO;
    mbedtls_x509write_crt_set_version(&crt, MBEDTLS_X509_CRT_VERSION_3);
    mbedtls_x509write_crt_set_md_alg(&crt, MBEDTLS_MD_SHA256);
    mbedtls_x509write_crt_set_subject_key(&crt, subject_pk);
    mbedtls_x509write_crt_set_issuer_key(&crt, &issuer_key);
    memset(&eku, 0, sizeof eku);
    eku.buf.tag = MBEDTLS_ASN1_OID;
    eku.buf.p = (unsigned char *)(req->role == HH_PKI_ROLE_SERVER ? MBEDTLS_OID_SERVER_AUTH
                                                                  : MBEDTLS_OID_CLIENT_AUTH);
    eku.buf.len = MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH);
    if (mbedtls_x509write_crt_set_serial_raw(&crt, serial, sizeof serial) != 0 ||
        mbedtls_x509write_crt_set_validity(&crt, not_before, not_after) != 0 ||
        mbedtls_x509write_crt_set_subject_name(&crt, subject) != 0 ||
        mbedtls_x509write_crt_set_issuer_name(&crt, issuer) != 0 ||
        mbedtls_x509write_crt_set_basic_constraints(&crt, is_ca, is_ca ? 0 : -1) != 0 ||
        mbedtls_x509write_crt_set_subject_key_identifier(&crt) != 0 ||
        mbedtls_x509write_crt_set_authority_key_identifier(&crt) != 0 ||
        mbedtls_x509write_crt_set_key_usage(&crt, is_ca ? MBEDTLS_X509_KU_KEY_CERT_SIGN | MBEDTLS_X509_KU_CRL_SIGN
                                                        : MBEDTLS_X509_KU_DIGITAL_SIGNATURE) != 0 ||
        (!is_ca && mbedtls_x509write_crt_set_ext_key_usage(&crt, &eku) != 0) ||
        (sans && mbedtls_x509write_crt_set_subject_alternative_name(&crt, sans) != 0) ||
        mbedtls_x509write_crt_pem(&crt, out, sizeof out, mbedtls_ctr_drbg_random, &r.drbg) != 0)
        goto cleanup;
    hh_buf_reset(cert_pem);
    ret = hh_buf_puts(cert_pem, (const char *)out);
cleanup:
    mbedtls_x509write_crt_free(&crt);
    mbedtls_x509_csr_free(&csr);
    mbedtls_x509_crt_free(&ca);
    mbedtls_pk_free(&issuer_key);
    mbedtls_pk_free(&subject_key);
    rng_free(&r);
    return ret;
}

static hh_err parse_cert(mbedtls_x509_crt *crt, const char *pem, size_t len)
{
    unsigned char text[HH_PKI_PEM_MAX + 1];

    if (pem_copy(pem, len, text) != HH_OK || psa_crypto_init() != PSA_SUCCESS ||
        mbedtls_x509_crt_parse(crt, text, len + 1) != 0)
        return HH_EINVAL;
    return HH_OK;
}

hh_err hh_pki_pin(const char *cert_pem, size_t len, char pin[HH_PKI_PIN_LEN + 1])
{
    unsigned char der[512], hash[32];
    mbedtls_x509_crt crt;
    size_t b64_len = 0;
    int n;
    hh_err ret;

    mbedtls_x509_crt_init(&crt);
    if ((ret = parse_cert(&crt, cert_pem, len)) != HH_OK)
        goto cleanup;
    ret = HH_EINVAL;
    /* The DER SubjectPublicKeyInfo is written at the end of the buffer. */
    n = mbedtls_pk_write_pubkey_der(&crt.pk, der, sizeof der);
    if (n <= 0 || mbedtls_sha256(der + sizeof der - n, (size_t)n, hash, 0) != 0)
        goto cleanup;
    memcpy(pin, "sha256//", 8);
    if (mbedtls_base64_encode((unsigned char *)pin + 8, HH_PKI_PIN_LEN + 1 - 8, &b64_len, hash,
                              sizeof hash) != 0 || b64_len != 44)
        goto cleanup;
    pin[8 + b64_len] = '\0';
    ret = HH_OK;
cleanup:
    mbedtls_x509_crt_free(&crt);
    return ret;
}

hh_err hh_pki_cert_cn(const char *cert_pem, size_t len, char cn[HH_PKI_CN_MAX + 1])
{
    mbedtls_x509_crt crt;
    hh_err ret;

    mbedtls_x509_crt_init(&crt);
    ret = parse_cert(&crt, cert_pem, len);
    if (ret == HH_OK)
        ret = name_cn(&crt.subject, cn);
    mbedtls_x509_crt_free(&crt);
    return ret;
}

hh_err hh_pki_cert_sha256(const char *cert_pem, size_t len, char hex[65])
{
    unsigned char hash[32];
    mbedtls_x509_crt crt;
    hh_err ret;

    mbedtls_x509_crt_init(&crt);
    ret = parse_cert(&crt, cert_pem, len);
    if (ret == HH_OK && mbedtls_sha256(crt.raw.p, crt.raw.len, hash, 0) != 0)
        ret = HH_EIO;
    if (ret == HH_OK)
        hh_hex_encode(hash, sizeof hash, hex);
    mbedtls_x509_crt_free(&crt);
    return ret;
}

/* ---- the enrolment string ------------------------------------------------------- */

static const char code_alphabet[] = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";   /* no 0/O, 1/I */

hh_err hh_pki_short_pin(const char *pin, char out[HH_PKI_SHORT_PIN_LEN + 1])
{
    unsigned char hash[33];
    size_t len = 0;
    int o = 0;

    if (strlen(pin) != HH_PKI_PIN_LEN || strncmp(pin, "sha256//", 8) != 0 ||
        mbedtls_base64_decode(hash, sizeof hash, &len, (const unsigned char *)pin + 8, strlen(pin + 8)) != 0 ||
        len != 32)
        return HH_EINVAL;
    /* 80 bits, five at a time, most significant first. */
    for (int i = 0; i < 16; i++) {
        int bit = i * 5, v = 0;
        for (int k = 0; k < 5; k++, bit++)
            v = (v << 1) | ((hash[bit / 8] >> (7 - bit % 8)) & 1);
        if (i && i % 4 == 0)
            out[o++] = '-';
        out[o++] = code_alphabet[v];
    }
    out[o] = '\0';
    return HH_OK;
}

hh_err hh_pki_enrol_code(char out[HH_ENROL_CODE_LEN + 1])
{
    uint8_t random[12];
    int j = 0;

    if (hh_platform_random(random, sizeof random) != HH_OK)
        return HH_EIO;
    for (int i = 0; i < 12; i++) {
        out[j++] = code_alphabet[random[i] % 32];
        if (i == 3 || i == 7)
            out[j++] = '-';
    }
    out[j] = '\0';
    return HH_OK;
}

hh_err hh_pki_enrol_string(const char *url, const char *code, const char *pin,
                       char out[HH_ENROL_STRING_MAX + 1])
{
    char short_pin[HH_PKI_SHORT_PIN_LEN + 1];
    int n;

    if (strncmp(url, "https://", 8) != 0 || hh_pki_short_pin(pin, short_pin) != HH_OK)
        return HH_EINVAL;
    n = snprintf(out, HH_ENROL_STRING_MAX + 1, "hearth://%s/%s/%s", url + 8, code, short_pin);
    return n > 0 && n <= HH_ENROL_STRING_MAX ? HH_OK : HH_EINVAL;
}

/* Characters of the code alphabet from text, upper-cased, dashes and spaces
 * skipped, grouped in fours into out: exactly `chars` of them, else -1. */
static int canonical_groups(const char *text, size_t len, int chars, char *out)
{
    int n = 0, o = 0;

    for (size_t i = 0; i < len; i++) {
        char ch = text[i];
        if (ch == '-' || ch == ' ')
            continue;
        if (ch >= 'a' && ch <= 'z')
            ch = (char)(ch - 'a' + 'A');
        if (!strchr(code_alphabet, ch) || ch == '\0' || n == chars)
            return -1;
        if (n && n % 4 == 0)
            out[o++] = '-';
        out[o++] = ch;
        n++;
    }
    out[o] = '\0';
    return n == chars ? 0 : -1;
}

hh_err hh_pki_enrol_parse(const char *text, char url[HH_ENROL_STRING_MAX + 1],
                             char code[HH_ENROL_CODE_LEN + 1], char short_pin[HH_PKI_SHORT_PIN_LEN + 1],
                             hh_diag *d)
{
    const char *host = text, *slash, *second;
    size_t host_len;

    while (*host == ' ')
        host++;
    if (strncasecmp(host, "hearth://", 9) == 0)
        host += 9;
    slash = strchr(host, '/');
    second = slash ? strchr(slash + 1, '/') : NULL;
    if (!slash || !second)
        return hh_diag_fail(d, HH_EINVAL, "enrolment", "an enrolment string has three parts: "
                            "hearth://HOST:PORT/CODE/PIN");
    host_len = (size_t)(slash - host);
    if (host_len == 0 || host_len > HH_ENROL_STRING_MAX - 8 ||
        strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") < host_len ||
        !memchr(host, ':', host_len))
        return hh_diag_fail(d, HH_EINVAL, "enrolment", "the collector's address must be HOST:PORT");
    if (canonical_groups(slash + 1, (size_t)(second - slash - 1), 12, code) != 0)
        return hh_diag_fail(d, HH_EINVAL, "enrolment", "the code must be 12 characters (2-9, A-Z "
                            "without I and O)");
    if (canonical_groups(second + 1, strcspn(second + 1, "\r\n"), 16, short_pin) != 0)
        return hh_diag_fail(d, HH_EINVAL, "enrolment", "the pin must be 16 characters (2-9, A-Z "
                            "without I and O)");
    snprintf(url, HH_ENROL_STRING_MAX + 1, "https://%.*s", (int)host_len, host);
    return HH_OK;
}

/* ---- sealing for the collector (ECIES on P-256) ------------------------------------- */

#define SEALED_MAGIC "HHR1"
#define SEALED_PUB 65          /* an uncompressed P-256 point */
#define SEALED_NONCE 12
#define SEALED_TAG 16
#define SEALED_HEAD (4 + SEALED_PUB + SEALED_NONCE)

/* The AES-256 key both sides derive: HKDF-SHA256 of the ECDH secret of d and
 * q, salted with the ephemeral public key. */
static hh_err sealing_key(const mbedtls_ecp_group *grp, const mbedtls_ecp_point *q, const mbedtls_mpi *d,
                          const unsigned char pub[SEALED_PUB], unsigned char key[32], rng *r)
{
    static const unsigned char info[] = "hearth recovery v1";
    unsigned char z[32];
    mbedtls_mpi secret;
    hh_err ret = HH_EIO;

    mbedtls_mpi_init(&secret);
    if (mbedtls_ecdh_compute_shared((mbedtls_ecp_group *)grp, &secret, q, d, mbedtls_ctr_drbg_random,
                                    &r->drbg) == 0 &&
        mbedtls_mpi_write_binary(&secret, z, sizeof z) == 0 &&
        mbedtls_hkdf(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), pub, SEALED_PUB, z, sizeof z,
                     info, sizeof info - 1, key, 32) == 0)
        ret = HH_OK;
    mbedtls_mpi_free(&secret);
    mbedtls_platform_zeroize(z, sizeof z);
    return ret;
}

hh_err hh_pki_seal_for(const char *cert_pem, size_t cert_len, const uint8_t *data, size_t len, hh_buf *out)
{
    mbedtls_x509_crt crt;
    mbedtls_ecp_group grp;
    mbedtls_ecp_point q, e_q;
    mbedtls_mpi d, e_d;
    mbedtls_gcm_context gcm;
    unsigned char key[32], *head;
    size_t olen = 0;
    rng r;
    hh_err ret = HH_EINVAL;

    mbedtls_x509_crt_init(&crt);
    mbedtls_ecp_group_init(&grp);
    mbedtls_ecp_point_init(&q);
    mbedtls_ecp_point_init(&e_q);
    mbedtls_mpi_init(&d);
    mbedtls_mpi_init(&e_d);
    mbedtls_gcm_init(&gcm);
    if (rng_setup(&r) != HH_OK) {
        ret = HH_EIO;
        goto cleanup;
    }
    if (parse_cert(&crt, cert_pem, cert_len) != HH_OK || mbedtls_pk_get_type(&crt.pk) != MBEDTLS_PK_ECKEY ||
        mbedtls_ecp_export(mbedtls_pk_ec(crt.pk), &grp, &d, &q) != 0 || grp.id != MBEDTLS_ECP_DP_SECP256R1)
        goto cleanup;
    hh_buf_reset(out);
    ret = HH_EIO;
    if (hh_buf_extend(out, SEALED_HEAD + len + SEALED_TAG, (void **)&head) != HH_OK) {
        ret = HH_ENOMEM;
        goto cleanup;
    }
    memcpy(head, SEALED_MAGIC, 4);
    if (mbedtls_ecp_gen_keypair(&grp, &e_d, &e_q, mbedtls_ctr_drbg_random, &r.drbg) != 0 ||
        mbedtls_ecp_point_write_binary(&grp, &e_q, MBEDTLS_ECP_PF_UNCOMPRESSED, &olen, head + 4,
                                       SEALED_PUB) != 0 || olen != SEALED_PUB ||
        sealing_key(&grp, &q, &e_d, head + 4, key, &r) != HH_OK ||
        hh_platform_random(head + 4 + SEALED_PUB, SEALED_NONCE) != HH_OK ||
        mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, key, 256) != 0 ||
        mbedtls_gcm_crypt_and_tag(&gcm, MBEDTLS_GCM_ENCRYPT, len, head + 4 + SEALED_PUB, SEALED_NONCE,
                                  head, 4 + SEALED_PUB, data, head + SEALED_HEAD, SEALED_TAG,
                                  head + SEALED_HEAD + len) != 0)
        goto cleanup;
    ret = HH_OK;
cleanup:
    mbedtls_platform_zeroize(key, sizeof key);
    mbedtls_gcm_free(&gcm);
    mbedtls_mpi_free(&e_d);
    mbedtls_mpi_free(&d);
    mbedtls_ecp_point_free(&e_q);
    mbedtls_ecp_point_free(&q);
    mbedtls_ecp_group_free(&grp);
    mbedtls_x509_crt_free(&crt);
    rng_free(&r);
    if (ret != HH_OK)
        hh_buf_reset(out);
    return ret;
}

hh_err hh_pki_open_sealed(const char *key_pem, const uint8_t *in, size_t len, hh_buf *out)
{
    mbedtls_pk_context pk;
    mbedtls_ecp_group grp;
    mbedtls_ecp_point q, e_q;
    mbedtls_mpi d;
    mbedtls_gcm_context gcm;
    unsigned char key[32];
    void *plain;
    size_t n;
    rng r;
    hh_err ret = HH_EINVAL;

    mbedtls_pk_init(&pk);
    mbedtls_ecp_group_init(&grp);
    mbedtls_ecp_point_init(&q);
    mbedtls_ecp_point_init(&e_q);
    mbedtls_mpi_init(&d);
    mbedtls_gcm_init(&gcm);
    if (rng_setup(&r) != HH_OK) {
        ret = HH_EIO;
        goto cleanup;
    }
    if (len < SEALED_HEAD + SEALED_TAG || memcmp(in, SEALED_MAGIC, 4) != 0 ||
        parse_private_key(&pk, key_pem, &r) != HH_OK || mbedtls_pk_get_type(&pk) != MBEDTLS_PK_ECKEY ||
        mbedtls_ecp_export(mbedtls_pk_ec(pk), &grp, &d, &q) != 0 ||
        mbedtls_ecp_point_read_binary(&grp, &e_q, in + 4, SEALED_PUB) != 0 ||
        mbedtls_ecp_check_pubkey(&grp, &e_q) != 0 ||
        sealing_key(&grp, &e_q, &d, in + 4, key, &r) != HH_OK)
        goto cleanup;
    n = len - SEALED_HEAD - SEALED_TAG;
    hh_buf_reset(out);
    if (hh_buf_extend(out, n, &plain) != HH_OK) {
        ret = HH_ENOMEM;
        goto cleanup;
    }
    if (mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, key, 256) != 0 ||
        mbedtls_gcm_auth_decrypt(&gcm, n, in + 4 + SEALED_PUB, SEALED_NONCE, in, 4 + SEALED_PUB,
                                 in + SEALED_HEAD + n, SEALED_TAG, in + SEALED_HEAD, plain) != 0) {
        hh_buf_reset(out);
        goto cleanup;
    }
    ret = HH_OK;
cleanup:
    mbedtls_platform_zeroize(key, sizeof key);
    mbedtls_gcm_free(&gcm);
    mbedtls_mpi_free(&d);
    mbedtls_ecp_point_free(&e_q);
    mbedtls_ecp_point_free(&q);
    mbedtls_ecp_group_free(&grp);
    mbedtls_pk_free(&pk);
    rng_free(&r);
    return ret;
}
