/* sync/client.c — libcurl requests with classified failures (see client.h). */
#include "client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "wire.h"

struct hh_client {
    CURL *curl;
    char base_url[256];
    hh_client_stats stats;
    unsigned retry_after_s;
    int deflate;                   /* POST bodies deflated, answers may be */
    int answer_deflated;           /* this answer said Content-Encoding: deflate */
};

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
    hh_buf *b = ctx;

    /* Returning less than given makes curl fail the transfer (CURLE_WRITE_ERROR). */
    return hh_buf_append(b, data, size * n) == HH_OK ? size * n : 0;
}

static size_t on_header(char *data, size_t size, size_t n, void *ctx)
{
    hh_client *c = ctx;
    size_t len = size * n;

    if (len > 12 && strncasecmp(data, "Retry-After:", 12) == 0) {
        unsigned long v = strtoul(data + 12, NULL, 10);
        c->retry_after_s = v > 3600 ? 3600 : (unsigned)v;
    } else if (len > 16 && len < 64 && strncasecmp(data, "Hearth-Seq-High:", 16) == 0) {
        unsigned long long v = strtoull(data + 16, NULL, 10);
        c->stats.seq_high = v < UINT64_MAX / 2 ? (uint64_t)v : 0;
    } else if (len > 17 && strncasecmp(data, "Content-Encoding:", 17) == 0) {
        const char *v = data + 17;
        while (*v == ' ')
            v++;
        c->answer_deflated = strncasecmp(v, "deflate", 7) == 0;
    } else if (len > 5 && len < 64 && strncasecmp(data, "Date:", 5) == 0) {
        char value[64];
        time_t when;
        memcpy(value, data + 5, len - 5);
        value[len - 5] = '\0';
        when = curl_getdate(value, NULL);
        c->stats.server_date_s = when > 0 ? (int64_t)when : 0;
    }
    return len;
}

hh_err hh_client_new(const hh_client_config *cfg, hh_client **out)
{
    static int initialised;
    hh_client *c;

    *out = NULL;
    if (strlen(cfg->base_url) >= sizeof c->base_url || strncmp(cfg->base_url, "https://", 8) != 0)
        return HH_EINVAL;
    if (!initialised) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
            return HH_EIO;
        initialised = 1;
    }
    if (!(c = calloc(1, sizeof *c)))
        return HH_ENOMEM;
    if (!(c->curl = curl_easy_init())) {
        free(c);
        return HH_ENOMEM;
    }
    snprintf(c->base_url, sizeof c->base_url, "%s", cfg->base_url);
    curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS, cfg->connect_timeout_ms);
    curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, cfg->timeout_ms);
    curl_easy_setopt(c->curl, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c->curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c->curl, CURLOPT_HEADERDATA, c);
    curl_easy_setopt(c->curl, CURLOPT_USERAGENT, "hearth/0.1");
    if (cfg->ca_file) {
        curl_easy_setopt(c->curl, CURLOPT_CAINFO, cfg->ca_file);
        curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYHOST, 2L);
    } else {
        curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (cfg->cert_file && cfg->key_file) {
        curl_easy_setopt(c->curl, CURLOPT_SSLCERT, cfg->cert_file);
        curl_easy_setopt(c->curl, CURLOPT_SSLKEY, cfg->key_file);
    }
    *out = c;
    return HH_OK;
}

void hh_client_free(hh_client *c)
{
    if (!c)
        return;
    curl_easy_cleanup(c->curl);
    free(c);
}

void hh_client_set_deflate(hh_client *c, int on)
{
    c->deflate = on;
}

const hh_client_stats *hh_client_stats_get(const hh_client *c)
{
    return &c->stats;
}

static hh_err classify_curl(CURLcode rc)
{
    switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
        return HH_ETIMEOUT;
    /* Only a certificate that does not verify is a trust failure. A handshake
     * that fails otherwise (CURLE_SSL_CONNECT_ERROR: the connection cut or
     * refused midway, a collector at its connection limit or stopped) is the
     * network's: retried later. */
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_ISSUER_ERROR:
        return HH_ETLS;
    case CURLE_WRITE_ERROR:
        return HH_EPROTO;     /* the response was larger than we accept */
    default:
        return HH_ENET;       /* resolve, connect, send, receive, cut */
    }
}

static hh_err classify_status(long status)
{
    if (status >= 200 && status < 300)
        return HH_OK;
    if (status == 401 || status == 403)
        return HH_EREVOKED;
    if (status == 409)
        return HH_ECONFLICT;
    if (status == 429 || status >= 500)
        return HH_EBUSY;
    return HH_EPROTO;
}

hh_err hh_client_request(hh_client *c, const char *method, const char *path, const void *body,
                         size_t len, hh_buf *response, unsigned *retry_after_s, char *message,
                         size_t cap)
{
    char url[512], error[CURL_ERROR_SIZE] = "";
    struct curl_slist *headers = NULL;
    hh_buf packed;
    curl_off_t down = 0;
    long status = 0, header_bytes = 0, request_bytes = 0;
    CURLcode rc;
    hh_err ret;

    *retry_after_s = 0;
    c->retry_after_s = 0;
    c->answer_deflated = 0;
    c->stats.seq_high = 0;
    /* Room for a deflated body and for an inflated answer. */
    hh_buf_init(&packed, response->max > len + len / 8 + 1024 ? response->max : len + len / 8 + 1024);
    if (message && cap)
        message[0] = '\0';
    if ((size_t)snprintf(url, sizeof url, "%s%s", c->base_url, path) >= sizeof url)
        return HH_EINVAL;
    if (c->deflate && body && strcmp(method, "POST") == 0) {
        if ((ret = hh_wire_deflate(body, len, &packed)) != HH_OK) {
            hh_buf_free(&packed);
            return ret;
        }
        body = packed.data;
        len = packed.len;
        headers = curl_slist_append(headers, "Content-Encoding: deflate");
        headers = curl_slist_append(headers, "Accept-Encoding: deflate");
    }
    hh_buf_reset(response);
    curl_easy_setopt(c->curl, CURLOPT_URL, url);
    curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, response);
    curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, error);
    if (strcmp(method, "POST") == 0) {
        headers = curl_slist_append(headers, "Content-Type: application/x-protobuf");
        headers = curl_slist_append(headers, "Expect:");   /* no 100-continue round trip */
        curl_easy_setopt(c->curl, CURLOPT_POST, 1L);
        curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body ? body : "");
        curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    } else {
        curl_easy_setopt(c->curl, CURLOPT_HTTPGET, 1L);
    }
    curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, headers);
    rc = curl_easy_perform(c->curl);
    curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(headers);
    hh_buf_free(&packed);
    curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
    c->stats.status = status;
    curl_easy_getinfo(c->curl, CURLINFO_HEADER_SIZE, &header_bytes);
    curl_easy_getinfo(c->curl, CURLINFO_REQUEST_SIZE, &request_bytes);
    curl_easy_getinfo(c->curl, CURLINFO_SIZE_DOWNLOAD_T, &down);
    c->stats.requests++;
    /* REQUEST_SIZE counts the headers and the body sent with them. */
    c->stats.bytes_up += (uint64_t)request_bytes;
    c->stats.bytes_down += (uint64_t)header_bytes + (uint64_t)down;
    if (rc != CURLE_OK) {
        ret = classify_curl(rc);
        if (message)
            snprintf(message, cap, "%s", error[0] ? error : curl_easy_strerror(rc));
        return ret;
    }
    ret = classify_status(status);
    *retry_after_s = c->retry_after_s;
    if (c->answer_deflated) {
        /* Inflated no further than the answer's own cap. */
        hh_err z = hh_wire_inflate(response->data, response->len, response->max, &packed);
        if (z == HH_OK) {
            hh_buf_reset(response);
            z = hh_buf_append(response, packed.data, packed.len);
        }
        hh_buf_free(&packed);
        if (z != HH_OK) {
            if (message)
                snprintf(message, cap, "the collector's answer does not inflate (%s)", hh_strerror(z));
            return HH_EPROTO;
        }
    }
    if (ret != HH_OK && message) {
        /* The collector explains refusals in a short text body. */
        size_t n = response->len < 200 ? response->len : 200;
        snprintf(message, cap, "HTTP %ld: %.*s", status, (int)n, hh_buf_str(response));
        for (char *p = message; *p; p++)
            if (*p == '\n' || *p == '\r')
                *p = ' ';
    }
    return ret;
}
