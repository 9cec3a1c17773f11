/* agent/store_int.h — internals of the store shared with its tests. */
#ifndef HH_STORE_INT_H
#define HH_STORE_INT_H

#include <sqlite3.h>

#include "store.h"

/* Bring db from its PRAGMA user_version to `count` by running migrations[v] for
 * each missing version v (0-based: migrations[0] makes version 1), each in its
 * own transaction together with the version bump. A database newer than count is
 * HH_ESCHEMA; a failing migration is rolled back whole and reported in d. */
hh_err hh_store_migrate(sqlite3 *db, const char *const *migrations, int count, hh_diag *d);

/* The store's connection, for tests that inspect or sabotage the schema. */
sqlite3 *hh_store_db(hh_store *s);

#endif
