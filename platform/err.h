/* platform/err.h — Hearth's one error type.
 *
 * Every fallible function in Hearth returns an hh_err. The list is append-only:
 * values are stored in logs and compared across versions, so never renumber one.
 * Library code never prints or exits; the programs map these to messages and exit
 * statuses. */
#ifndef HH_ERR_H
#define HH_ERR_H

typedef enum hh_err {
    HH_OK = 0,
    HH_EINVAL,      /* a value failed validation */
    HH_ENOMEM,      /* an allocation failed */
    HH_ERANGE,      /* a value or a size is over its bound */
    HH_ENOTFOUND,   /* no such record, file or key */
    HH_EEXIST,      /* already exists */
    HH_EIO,         /* an operating-system call failed */
    HH_EDB,         /* the database refused or failed */
    HH_EPARSE,      /* malformed text (JSON, rulebook, dates) */
    HH_ECORRUPT,    /* stored data is not what Hearth wrote */
    HH_ECLOCK,      /* a clock stamp is impossible or too far ahead */
    HH_ECONFLICT,   /* the same identity with different content */
    HH_EUSAGE,      /* a command line is wrong */
    HH_ESCHEMA,     /* the database schema is newer than this program */
    HH_ENET,        /* no network, connection refused or cut */
    HH_ETIMEOUT,    /* the peer did not answer in time */
    HH_ETLS,        /* TLS trust failure: certificate or pin mismatch */
    HH_EREVOKED,    /* the device is revoked or unknown to the collector */
    HH_EBUSY,       /* the peer is busy; retry later */
    HH_EREJECTED,   /* the peer refused this content permanently */
    HH_EPROTO,      /* the peer broke the protocol */
    HH_ENOSPC,      /* the disk is full: nothing was written */
    HH_EPERM        /* the account may not do this (level, scope, role) */
} hh_err;

/* A short English description of `err`; never NULL, static storage. */
const char *hh_strerror(hh_err err);

#endif
