/* tests/bench/bench_floor.c — the floor for ingest: the rows a visit makes the
 * collector write, through plain SQLite with the collector's durability.
 *
 * Per visit: the visit row (with its indexes), the applied (device, seq) row
 * with a digest, and the household's tier row (an upsert with a new change
 * number); one transaction per batch of BATCH visits, as one sync request is
 * one transaction; WAL, synchronous=FULL, foreign keys on. No TLS, no HTTP, no
 * decoding, no merge rules, no tier computation: what the collector does
 * beyond this is its overhead. Prints visits/s.
 *
 * usage: bench_floor DB_FILE VISITS */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "platform/platform.h"
#include "sync/records.h"

#define BATCH 100
#define HOUSEHOLDS 250

static int exec(sqlite3 *db, const char *sql)
{
    char *err = NULL;

    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "bench_floor: %s\n", err ? err : sqlite3_errmsg(db));
        sqlite3_free(err);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    static const char schema[] =
        HH_RECORDS_SCHEMA
        "CREATE TABLE applied (device_id TEXT NOT NULL, seq INTEGER NOT NULL, digest BLOB NOT NULL,"
        "  reject_reason INTEGER NOT NULL, detail TEXT NOT NULL, entity TEXT NOT NULL,"
        "  entity_id TEXT NOT NULL, at_ms INTEGER NOT NULL,"
        "  PRIMARY KEY (device_id, seq)) STRICT, WITHOUT ROWID;"
        "CREATE TABLE tiers (household_id TEXT PRIMARY KEY REFERENCES households(id),"
        "  village_code TEXT NOT NULL, tier INTEGER NOT NULL, reasons TEXT NOT NULL,"
        "  rulebook TEXT NOT NULL, last_visit_on TEXT, per_capita_yuan INTEGER,"
        "  review TEXT NOT NULL, change_no INTEGER NOT NULL, computed_ms INTEGER NOT NULL) STRICT;"
        "CREATE INDEX tiers_change ON tiers(village_code, change_no);";
    sqlite3 *db = NULL;
    sqlite3_stmt *visit = NULL, *applied = NULL, *tier = NULL, *household = NULL;
    char households[HOUSEHOLDS][HH_UUID_LEN + 1], id[HH_UUID_LEN + 1];
    const char *device = "0190f2a4-58c1-7d3e-9a40-6f1c2b3d4e5f";
    uint8_t digest[32];
    uint64_t start, elapsed;
    int visits, rc = 1;

    if (argc != 3 || (visits = atoi(argv[2])) < 1 || visits > 10000000) {
        fprintf(stderr, "usage: bench_floor DB_FILE VISITS\n");
        return 2;
    }
    remove(argv[1]);
    if (sqlite3_open(argv[1], &db) != SQLITE_OK ||
        exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;") ||
        exec(db, schema) ||
        sqlite3_prepare_v2(db, "INSERT INTO households VALUES (?1, ?2, '511823100001', 'lifted', 0,"
                               " '', 1, 1)", -1, &household, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "INSERT INTO visits (" VISIT_COLS ") VALUES (?1, ?2, '2026-05-01',"
                               " '村信息员-001', 4, ?3, 2500, 0, 1500, 400, 800, 0, 0, 63, 30500000,"
                               " 104000000, '外出务工收入稳定', NULL, ?4)", -1, &visit, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "INSERT INTO applied VALUES (?1, ?2, ?3, 0, '', 'visit', ?4, ?5)", -1,
                           &applied, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "INSERT INTO tiers VALUES (?1, '511823100001', ?2, 'income_below_line',"
                               " '2026.1', '2026-05-01', ?3, 'computed', ?4, ?5)"
                               " ON CONFLICT (household_id) DO UPDATE SET tier = excluded.tier,"
                               " per_capita_yuan = excluded.per_capita_yuan,"
                               " change_no = excluded.change_no, computed_ms = excluded.computed_ms",
                           -1, &tier, NULL) != SQLITE_OK)
        goto cleanup;
    if (exec(db, "BEGIN"))
        goto cleanup;
    for (int h = 0; h < HOUSEHOLDS; h++) {
        char registry[16];
        hh_records_new_id(households[h]);
        snprintf(registry, sizeof registry, "B%04d", h);
        sqlite3_bind_text(household, 1, households[h], -1, SQLITE_STATIC);
        sqlite3_bind_text(household, 2, registry, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(household) != SQLITE_DONE)
            goto cleanup;
        sqlite3_reset(household);
    }
    if (exec(db, "COMMIT"))
        goto cleanup;
    start = hh_platform_monotonic_ns();
    for (int n = 0; n < visits; n++) {
        const char *hh = households[n % HOUSEHOLDS];
        if (n % BATCH == 0 && exec(db, "BEGIN IMMEDIATE"))
            goto cleanup;
        hh_records_new_id(id);
        hh_platform_random(digest, sizeof digest);
        sqlite3_bind_text(visit, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_text(visit, 2, hh, -1, SQLITE_STATIC);
        sqlite3_bind_int64(visit, 3, 8000 + n % 20000);
        sqlite3_bind_int64(visit, 4, (sqlite3_int64)hh_platform_wall_ms() << 16);
        sqlite3_bind_text(applied, 1, device, -1, SQLITE_STATIC);
        sqlite3_bind_int64(applied, 2, n + 1);
        sqlite3_bind_blob(applied, 3, digest, sizeof digest, SQLITE_STATIC);
        sqlite3_bind_text(applied, 4, id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(applied, 5, (sqlite3_int64)hh_platform_wall_ms());
        sqlite3_bind_text(tier, 1, hh, -1, SQLITE_STATIC);
        sqlite3_bind_int(tier, 2, 1 + n % 4);
        sqlite3_bind_int64(tier, 3, 3000 + n % 5000);
        sqlite3_bind_int64(tier, 4, n + 1);
        sqlite3_bind_int64(tier, 5, (sqlite3_int64)hh_platform_wall_ms());
        if (sqlite3_step(visit) != SQLITE_DONE || sqlite3_step(applied) != SQLITE_DONE ||
            sqlite3_step(tier) != SQLITE_DONE) {
            fprintf(stderr, "bench_floor: %s\n", sqlite3_errmsg(db));
            goto cleanup;
        }
        sqlite3_reset(visit);
        sqlite3_reset(applied);
        sqlite3_reset(tier);
        if ((n % BATCH == BATCH - 1 || n == visits - 1) && exec(db, "COMMIT"))
            goto cleanup;
    }
    elapsed = hh_platform_monotonic_ns() - start;
    printf("floor: %d visits in %.2f s = %.0f visits/s (%d per transaction)\n", visits, elapsed / 1e9,
           visits / (elapsed / 1e9), BATCH);
    rc = 0;
cleanup:
    if (rc)
        fprintf(stderr, "bench_floor: %s\n", db ? sqlite3_errmsg(db) : "cannot open");
    sqlite3_finalize(household);
    sqlite3_finalize(visit);
    sqlite3_finalize(applied);
    sqlite3_finalize(tier);
    sqlite3_close(db);
    return rc;
}
