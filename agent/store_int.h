/* agent/store_int.h — internals of the store shared with its tests. */
#ifndef HH_STORE_INT_H
#define HH_STORE_INT_H

#include <sqlite3.h>

#include "store.h"

/* The store's connection, for tests that inspect or sabotage the schema. */
sqlite3 *hh_store_db(hh_store *s);

#endif
