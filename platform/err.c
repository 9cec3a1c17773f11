/* platform/err.c — descriptions for hh_err. */
#include "err.h"

/* Marked for the message catalogue; the program translates them as it prints. */
#define N_(s) (s)

const char *hh_strerror(hh_err err)
{
    switch (err) {
    case HH_OK:        return N_("success");
    case HH_EINVAL:    return N_("invalid value");
    case HH_ENOMEM:    return N_("out of memory");
    case HH_ERANGE:    return N_("value or size out of range");
    case HH_ENOTFOUND: return N_("not found");
    case HH_EEXIST:    return N_("already exists");
    case HH_EIO:       return N_("input/output error");
    case HH_EDB:       return N_("database error");
    case HH_EPARSE:    return N_("malformed input");
    case HH_ECORRUPT:  return N_("stored data is corrupt");
    case HH_ECLOCK:    return N_("clock stamp out of range");
    case HH_ECONFLICT: return N_("conflicting content for the same identity");
    case HH_EUSAGE:    return N_("wrong command-line usage");
    case HH_ESCHEMA:   return N_("database schema is newer than this program");
    case HH_ENET:      return N_("network unreachable or connection lost");
    case HH_ETIMEOUT:  return N_("timed out");
    case HH_ETLS:      return N_("TLS trust failure");
    case HH_EREVOKED:  return N_("device revoked or unknown");
    case HH_EBUSY:     return N_("server busy");
    case HH_EREJECTED: return N_("rejected by the server");
    case HH_EPROTO:    return N_("protocol error");
    case HH_ENOSPC:    return N_("the disk is full");
    case HH_EPERM:     return N_("not allowed for this account");
    }
    return N_("unknown error");
}
