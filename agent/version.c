/* agent/version.c — what this binary is made of, for `hearth --version` and
 * bug reports: Hearth's own version and those of the libraries linked in. */
#include <stdio.h>

#include <curl/curl.h>
#include <mbedtls/version.h>
#include <protobuf-c/protobuf-c.h>
#include <sqlite3.h>

#include "agent.h"
#include "commands.h"
#include "sync/i18n.h"

#define HEARTH_VERSION "0.1.0"

const char *hh_version_string(void)
{
    static char text[256];

    /* curl_version() names the TLS backend it was built with, mbedTLS here. */
    snprintf(text, sizeof text, "hearth %s (sqlite %s, protobuf-c %s, %s, mbedTLS %s)",
             HEARTH_VERSION, sqlite3_libversion(), protobuf_c_version(), curl_version(),
             MBEDTLS_VERSION_STRING);
    return text;
}

static int run_version(cli *c)
{
    (void)c;
    printf("%s\n", hh_version_string());
    return HH_EXIT_OK;
}

static const cli_opt no_opts[] = { { NULL, NULL, NULL } };

const cli_cmd hh_cmd_version = {
    "version", "", N_("Print the versions of Hearth and the libraries it is built with."),
    0, 0, no_opts, run_version, 0 };
