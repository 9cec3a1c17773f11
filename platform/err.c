/* platform/err.c — descriptions for hh_err. */
#include "err.h"

const char *hh_strerror(hh_err err)
{
    switch (err) {
    case HH_OK:        return "success";
    case HH_EINVAL:    return "invalid value";
    case HH_ENOMEM:    return "out of memory";
    case HH_ERANGE:    return "value or size out of range";
    case HH_ENOTFOUND: return "not found";
    case HH_EEXIST:    return "already exists";
    case HH_EIO:       return "input/output error";
    case HH_EDB:       return "database error";
    case HH_EPARSE:    return "malformed input";
    case HH_ECORRUPT:  return "stored data is corrupt";
    case HH_ECLOCK:    return "clock stamp out of range";
    case HH_ECONFLICT: return "conflicting content for the same identity";
    case HH_EUSAGE:    return "wrong command-line usage";
    case HH_ESCHEMA:   return "database schema is newer than this program";
    case HH_ENET:      return "network unreachable or connection lost";
    case HH_ETIMEOUT:  return "timed out";
    case HH_ETLS:      return "TLS trust failure";
    case HH_EREVOKED:  return "device revoked or unknown";
    case HH_EBUSY:     return "server busy";
    case HH_EREJECTED: return "rejected by the server";
    case HH_EPROTO:    return "protocol error";
    case HH_ENOSPC:    return "the disk is full";
    case HH_EPERM:     return "not allowed for this account";
    }
    return "unknown error";
}
