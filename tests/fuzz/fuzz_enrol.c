/* tests/fuzz/fuzz_enrol.c — the enrolment's certificate request as the
 * collector handles it: the request's self-signature and subject checked
 * (hh_pki_csr_subject), and, for one that passes, a device certificate issued
 * by a real CA (hh_pki_issue_cert) whose subject is the collector's device id,
 * never the request's. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "model/buf.h"
#include "sync/pki.h"

#define DEVICE_ID "01900000-0000-7000-8000-0000000000d1"

static hh_buf ca_key, ca_cert;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    hh_pki_issue ca = { HH_PKI_ROLE_CA, "Hearth fuzz CA", NULL, NULL, NULL, NULL, NULL, 30 };

    (void)argc, (void)argv;
    hh_buf_init(&ca_key, HH_PKI_PEM_MAX);
    hh_buf_init(&ca_cert, HH_PKI_PEM_MAX);
    if (hh_pki_key_new(&ca_key) != HH_OK)
        hh_fuzz_setup_failed("cannot make the CA key");
    ca.subject_key_pem = ca.ca_key_pem = ca_key.data;
    if (hh_pki_issue_cert(&ca, &ca_cert) != HH_OK)
        hh_fuzz_setup_failed("cannot make the CA certificate");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hh_pki_issue issue = { HH_PKI_ROLE_CLIENT, DEVICE_ID, NULL, NULL, NULL, NULL, NULL, 30 };
    char subject[HH_PKI_CN_MAX + 1], cn[HH_PKI_CN_MAX + 1];
    const char *csr;
    hh_buf cert;

    if (size == 0 || size > HH_PKI_PEM_MAX)   /* the collector's bound on the request */
        return 0;
    csr = hh_fuzz_text(data, size);
    if (hh_pki_csr_subject(csr, size, subject) != HH_OK)
        return 0;
    HH_FUZZ_CHECK(strlen(subject) <= HH_PKI_CN_MAX);
    hh_buf_init(&cert, HH_PKI_PEM_MAX);
    issue.csr_pem = csr;
    issue.ca_cert_pem = ca_cert.data;
    issue.ca_key_pem = ca_key.data;
    if (hh_pki_issue_cert(&issue, &cert) == HH_OK) {
        HH_FUZZ_CHECK(hh_pki_cert_cn(cert.data, cert.len, cn) == HH_OK);
        HH_FUZZ_CHECK(strcmp(cn, DEVICE_ID) == 0);
    }
    hh_buf_free(&cert);
    return 0;
}
