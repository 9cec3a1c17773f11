/* tests/unit/test_pki.c — sync/pki.c: a CA, a server certificate with names, a
 * device certificate from its request; each verified by mbedTLS's own chain
 * check, and by openssl (an independent implementation) where it is installed. */
#define _GNU_SOURCE
#include "helpers.h"

#include <mbedtls/x509_crt.h>

#include "sync/pki.h"

static hh_buf ca_key, ca_cert, server_key, server_cert, device_key, csr, device_cert;

static int setup(void **state)
{
    static const char *const names[] = { "localhost", "127.0.0.1", "::1", "collector.example", NULL };
    hh_pki_issue ca = { HH_PKI_ROLE_CA, "Hearth test CA", NULL, NULL, NULL, NULL, NULL, 3650 };
    hh_pki_issue server = { HH_PKI_ROLE_SERVER, "hearthd", NULL, NULL, NULL, NULL, names, 825 };
    hh_pki_issue client = { HH_PKI_ROLE_CLIENT, "01a20000-0000-7000-8000-000000000001", NULL, NULL,
                            NULL, NULL, NULL, 730 };
    (void)state;
    hh_buf_init(&ca_key, HH_PKI_PEM_MAX);
    hh_buf_init(&ca_cert, HH_PKI_PEM_MAX);
    hh_buf_init(&server_key, HH_PKI_PEM_MAX);
    hh_buf_init(&server_cert, HH_PKI_PEM_MAX);
    hh_buf_init(&device_key, HH_PKI_PEM_MAX);
    hh_buf_init(&csr, HH_PKI_PEM_MAX);
    hh_buf_init(&device_cert, HH_PKI_PEM_MAX);
    if (hh_pki_key_new(&ca_key) || hh_pki_key_new(&server_key) || hh_pki_key_new(&device_key))
        return -1;
    ca.subject_key_pem = ca.ca_key_pem = ca_key.data;
    if (hh_pki_issue_cert(&ca, &ca_cert))
        return -1;
    server.subject_key_pem = server_key.data;
    server.ca_cert_pem = client.ca_cert_pem = ca_cert.data;
    server.ca_key_pem = client.ca_key_pem = ca_key.data;
    if (hh_pki_issue_cert(&server, &server_cert))
        return -1;
    if (hh_pki_csr_new(device_key.data, "01a20000-0000-7000-8000-000000000001", &csr))
        return -1;
    client.csr_pem = csr.data;
    return hh_pki_issue_cert(&client, &device_cert) ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    hh_buf_free(&ca_key);
    hh_buf_free(&ca_cert);
    hh_buf_free(&server_key);
    hh_buf_free(&server_cert);
    hh_buf_free(&device_key);
    hh_buf_free(&csr);
    hh_buf_free(&device_cert);
    return 0;
}

static uint32_t verify(const char *cert_pem, const char *cn)
{
    mbedtls_x509_crt chain, trust;
    uint32_t flags = 0xFFFFFFFFu;

    mbedtls_x509_crt_init(&chain);
    mbedtls_x509_crt_init(&trust);
    if (mbedtls_x509_crt_parse(&chain, (const unsigned char *)cert_pem, strlen(cert_pem) + 1) == 0 &&
        mbedtls_x509_crt_parse(&trust, (const unsigned char *)ca_cert.data, ca_cert.len + 1) == 0)
        mbedtls_x509_crt_verify(&chain, &trust, NULL, cn, &flags, NULL, NULL);
    mbedtls_x509_crt_free(&chain);
    mbedtls_x509_crt_free(&trust);
    return flags;
}

static void chain_verifies(void **state)
{
    (void)state;
    assert_int_equal(verify(server_cert.data, "localhost"), 0);
    assert_int_equal(verify(server_cert.data, "127.0.0.1"), 0);
    assert_int_equal(verify(server_cert.data, "collector.example"), 0);
    assert_int_not_equal(verify(server_cert.data, "elsewhere.example"), 0);
    assert_int_equal(verify(device_cert.data, NULL), 0);
    assert_int_equal(verify(ca_cert.data, NULL), 0);
}

static void names_and_pins(void **state)
{
    char cn[HH_PKI_CN_MAX + 1], pin1[HH_PKI_PIN_LEN + 1], pin2[HH_PKI_PIN_LEN + 1];
    (void)state;
    assert_int_equal(hh_pki_cert_cn(device_cert.data, device_cert.len, cn), HH_OK);
    assert_string_equal(cn, "01a20000-0000-7000-8000-000000000001");
    assert_int_equal(hh_pki_csr_subject(csr.data, csr.len, cn), HH_OK);
    assert_string_equal(cn, "01a20000-0000-7000-8000-000000000001");
    assert_int_equal(hh_pki_pin(ca_cert.data, ca_cert.len, pin1), HH_OK);
    assert_int_equal(strlen(pin1), HH_PKI_PIN_LEN);
    assert_memory_equal(pin1, "sha256//", 8);
    assert_int_equal(hh_pki_pin(ca_cert.data, ca_cert.len, pin2), HH_OK);
    assert_string_equal(pin1, pin2);
    assert_int_equal(hh_pki_pin(server_cert.data, server_cert.len, pin2), HH_OK);
    assert_string_not_equal(pin1, pin2);
}

static void bad_requests_refused(void **state)
{
    hh_buf other_key, forged;
    char cn[HH_PKI_CN_MAX + 1];
    char *tampered = strdup(csr.data);
    size_t mid;
    (void)state;
    /* A flipped character in the middle of the base64 breaks the signature
     * (or the encoding); either way the request is refused. */
    mid = strlen(tampered) / 2;
    tampered[mid] = tampered[mid] == 'A' ? 'B' : 'A';
    assert_int_equal(hh_pki_csr_subject(tampered, strlen(tampered), cn), HH_EINVAL);
    free(tampered);
    assert_int_equal(hh_pki_csr_subject("garbage", 7, cn), HH_EINVAL);
    assert_int_equal(hh_pki_csr_subject(csr.data, HH_PKI_PEM_MAX + 1, cn), HH_EINVAL);
    hh_buf_init(&other_key, HH_PKI_PEM_MAX);
    hh_buf_init(&forged, HH_PKI_PEM_MAX);
    assert_int_equal(hh_pki_key_new(&other_key), HH_OK);
    /* Names that could smuggle X.500 syntax are refused. */
    assert_int_equal(hh_pki_csr_new(other_key.data, "a,CN=admin", &forged), HH_EINVAL);
    assert_int_equal(hh_pki_csr_new(other_key.data, "", &forged), HH_EINVAL);
    hh_buf_free(&other_key);
    hh_buf_free(&forged);
}

/* The short pin, against one computed apart (Python: the first 10 bytes of the
 * hash, 5 bits a character, most significant first, in the codes' alphabet). */
static void enrolment_string(void **state)
{
    static const char pin[] = "sha256//uU1Xoaez4NLZ3zHek4xVrkSfrCSk9ZtQ4CQeTBm1RRc=";
    char short_pin[HH_PKI_SHORT_PIN_LEN + 1], text[HH_ENROL_STRING_MAX + 1];
    char url[HH_ENROL_STRING_MAX + 1], code[HH_ENROL_CODE_LEN + 1], again[HH_PKI_SHORT_PIN_LEN + 1];
    hh_diag d;
    (void)state;
    assert_int_equal(hh_pki_short_pin(pin, short_pin), HH_OK);
    assert_string_equal(short_pin, "R78P-HAF9-QHJF-7QGZ");
    assert_int_equal(hh_pki_short_pin("sha256//short", short_pin), HH_EINVAL);
    assert_int_equal(hh_pki_enrol_string("https://c.example:8443", "ABCD-EFGH-JKLM", pin, text), HH_OK);
    assert_string_equal(text, "hearth://c.example:8443/ABCD-EFGH-JKLM/R78P-HAF9-QHJF-7QGZ");
    assert_int_equal(hh_pki_enrol_string("http://c.example:80", "ABCD-EFGH-JKLM", pin, text), HH_EINVAL);
    /* Read back as typed: case, spaces and dashes forgiven, the scheme optional. */
    hh_diag_clear(&d);
    assert_int_equal(hh_pki_enrol_parse(" c.example:8443/abcdefghjklm/r78p haf9qhjf-7qgz", url, code, again, &d),
                     HH_OK);
    assert_string_equal(url, "https://c.example:8443");
    assert_string_equal(code, "ABCD-EFGH-JKLM");
    assert_string_equal(again, "R78P-HAF9-QHJF-7QGZ");
    /* Refused: a part missing, no port, a letter outside the alphabet (O, I, 0, 1), a
     * character too many or too few. */
    assert_int_equal(hh_pki_enrol_parse("hearth://c.example:8443/ABCD-EFGH-JKLM", url, code, again, &d), HH_EINVAL);
    assert_int_equal(hh_pki_enrol_parse("hearth://c.example/ABCD-EFGH-JKLM/R78P-HAF9-QHJF-7QGZ", url, code, again,
                                        &d), HH_EINVAL);
    assert_int_equal(hh_pki_enrol_parse("hearth://c:1/ABCD-EFGH-JKLO/R78P-HAF9-QHJF-7QGZ", url, code, again, &d),
                     HH_EINVAL);
    assert_int_equal(hh_pki_enrol_parse("hearth://c:1/ABCD-EFGH-JKL1/R78P-HAF9-QHJF-7QGZ", url, code, again, &d),
                     HH_EINVAL);
    assert_int_equal(hh_pki_enrol_parse("hearth://c:1/ABCD-EFGH-JKLMN/R78P-HAF9-QHJF-7QGZ", url, code, again, &d),
                     HH_EINVAL);
    assert_int_equal(hh_pki_enrol_parse("hearth://c:1/ABCD-EFGH-JKLM/R78P-HAF9-QHJF-7QG", url, code, again, &d),
                     HH_EINVAL);
    assert_int_equal(hh_pki_enrol_parse("hearth://c:1/ABCD-EFGH-JKLM/R78P-HAF9-QHJF-7QGZZ", url, code, again, &d),
                     HH_EINVAL);
    assert_int_equal(hh_pki_enrol_parse("hearth://c;rm:1/ABCD-EFGH-JKLM/R78P-HAF9-QHJF-7QGZ", url, code, again,
                                        &d), HH_EINVAL);
    /* Fresh codes: in the alphabet, grouped, and different. */
    assert_int_equal(hh_pki_enrol_code(code), HH_OK);
    assert_int_equal(hh_pki_enrol_code(again), HH_OK);
    assert_int_equal(strlen(code), HH_ENROL_CODE_LEN);
    assert_true(code[4] == '-' && code[9] == '-');
    assert_int_equal(strspn(code, "23456789ABCDEFGHJKLMNPQRSTUVWXYZ-"), HH_ENROL_CODE_LEN);
    assert_string_not_equal(code, again);
}

/* What a wiped device keeps for the administrator opens with the CA's key
 * alone, and not when altered. */
static void sealed_for_the_ca(void **state)
{
    static const char secret[] = "李建国|511823197801020038|unsent";
    hh_buf sealed, plain;

    (void)state;
    hh_buf_init(&sealed, 1u << 20);
    hh_buf_init(&plain, 1u << 20);
    assert_int_equal(hh_pki_seal_for(ca_cert.data, ca_cert.len, (const uint8_t *)secret, sizeof secret,
                                     &sealed), HH_OK);
    assert_int_equal(sealed.len, 4 + 65 + 12 + sizeof secret + 16);
    assert_null(memmem(sealed.data, sealed.len, "511823", 6));
    assert_int_equal(hh_pki_open_sealed(ca_key.data, (const uint8_t *)sealed.data, sealed.len, &plain), HH_OK);
    assert_int_equal(plain.len, sizeof secret);
    assert_memory_equal(plain.data, secret, sizeof secret);
    /* Another key, a flipped bit, a cut file: none opens. */
    assert_int_equal(hh_pki_open_sealed(server_key.data, (const uint8_t *)sealed.data, sealed.len, &plain),
                     HH_EINVAL);
    sealed.data[4 + 65 + 12 + 3] ^= 1;
    assert_int_equal(hh_pki_open_sealed(ca_key.data, (const uint8_t *)sealed.data, sealed.len, &plain), HH_EINVAL);
    sealed.data[4 + 65 + 12 + 3] ^= 1;
    assert_int_equal(hh_pki_open_sealed(ca_key.data, (const uint8_t *)sealed.data, 40, &plain), HH_EINVAL);
    /* A certificate is needed to seal: a key is not one. */
    assert_int_equal(hh_pki_seal_for(ca_key.data, ca_key.len, (const uint8_t *)secret, 3, &sealed), HH_EINVAL);
    hh_buf_free(&sealed);
    hh_buf_free(&plain);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(chain_verifies),
        cmocka_unit_test(names_and_pins),
        cmocka_unit_test(bad_requests_refused),
        cmocka_unit_test(enrolment_string),
        cmocka_unit_test(sealed_for_the_ca),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
